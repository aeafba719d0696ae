// What the parts of bench/search share: a study folder run through the real compiled CLI against a fresh
// Postgres database, the surrogate training script whose true metric is a known function of its
// constants, and reading back each successive head's TRUE metric from the recorded revisions.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findTopLevelConstant } from '../services/controller/src/mutators/params/top-level-constants.js';
import { openStore } from '../services/controller/src/store/open-store.js';
import type { ExperimentRow, RunRow } from '../services/controller/src/store/schema.js';
import type { Store } from '../services/controller/src/store/store.js';

/** GPU time is counted in runs of this nominal length: autoresearch's fixed budget. */
export const NOMINAL_RUN_MINUTES = 5;

/** A connection to the `test` database of the local Postgres, from which each study's database is made. */
export async function connectAdmin(): Promise<pg.Client> {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
  await admin.connect();
  return admin;
}

export interface FinishedStudy {
  store: Store;
  studyId: string;
  /** CLI start to exit: database start, every run, and writing the outputs. */
  wallSeconds: number;
  /** When the CLI was started and when it exited (epoch ms). */
  spawnedAt: number;
  exitedAt: number;
}

/**
 * Runs a study folder (`study.yaml` and the workspace, plus `dir` for the surrogate's noise counter)
 * through the compiled CLI (`npm run build` first), as `npx autoresearch run` does, with its own fresh
 * database; `read` gets the recorded study, and everything is removed afterwards.
 */
export async function runStudy<T>(
  admin: pg.Client,
  input: { name: string; files: (dir: string) => Record<string, string>; slots: number },
  read: (study: FinishedStudy) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'autoresearch-bench-search-'));
  const dbName = `bench_${input.name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  try {
    for (const [path, content] of Object.entries(input.files(dir))) await writeFile(join(dir, path), content);
    const spawnedAt = Date.now();
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['bin/autoresearch.js', 'run', dir, '--slots', String(input.slots), '--port', '0'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DATABASE_URL: databaseUrl },
      });
      child.on('close', resolve);
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const exitedAt = Date.now();
    if (code !== 0) throw new Error(`autoresearch run exited with ${code} (${input.name})`);
    const store = await openStore({ databaseUrl, poolSize: 1 });
    try {
      const study = await store.findStudyBySourceDir(dir);
      if (!study) throw new Error(`no study recorded for ${dir}`);
      return await read({ store, studyId: study.id, wallSeconds, spawnedAt, exitedAt });
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * JavaScript defining `gaussian()`, N(0, 1) draws from a mulberry32 stream seeded by (seed, k), where k
 * numbers the study's runs: each run claims the next free k by creating `<dir>/.noise/k` exclusively, so
 * runs in parallel slots never share one. A run of the bench repeats its noise run for run.
 */
export function seededNoise(seed: number, dir: string): string {
  return `const fs = require('node:fs');
const noiseDir = ${JSON.stringify(join(dir, '.noise'))};
fs.mkdirSync(noiseDir, { recursive: true });
let k = fs.readdirSync(noiseDir).length;
for (;; k++) { try { fs.writeFileSync(noiseDir + '/' + k, '', { flag: 'wx' }); break; } catch (error) { if (error.code !== 'EEXIST') throw error; } }
let a = (${seed} * 1000003 + k * 7919) >>> 0;
const rand = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const gaussian = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
`;
}

/**
 * The surrogate's landscape: true metric = 1 + Σ weight·log2(value/optimum)², a bowl in log space whose
 * optimum is 1. Each constant starts `offset` doublings away from its optimum; the params mutator moves it
 * by factors of 2 between optimum/16 and optimum·16, so local moves can walk onto the optimum exactly,
 * and random search draws from 8 doublings per constant.
 */
export interface Constant {
  name: string;
  optimum: number;
  weight: number;
  /** Doublings from the optimum where the baseline starts (negative: below it). */
  offset: number;
  integer?: boolean;
}

export const CONSTANTS: Constant[] = [
  { name: 'LR', optimum: 0.004, weight: 0.01, offset: -3 },
  { name: 'WD', optimum: 0.05, weight: 0.01, offset: 3 },
  { name: 'WARMUP', optimum: 256, weight: 0.01, offset: -3, integer: true },
];
export const OPTIMUM = 1;

export function startValue(c: Constant): number {
  return c.optimum * 2 ** c.offset;
}

/** The constants' declarations, as the top of train.js. */
export function declarations(constants: Constant[] = CONSTANTS): string {
  return constants.map((c) => `const ${c.name} = ${startValue(c)};`).join('\n');
}

/** JavaScript computing `trueMetric` from the declared constants. */
export function trueMetricSource(constants: Constant[] = CONSTANTS): string {
  const terms = constants.map((c) => `${c.weight} * Math.log2(${c.name} / ${c.optimum}) ** 2`).join(' + ');
  return `const trueMetric = ${OPTIMUM} + ${terms};\n`;
}

/** The same function, in the bench, for a revision's constants. */
export function trueMetric(values: Record<string, number>, constants: Constant[] = CONSTANTS): number {
  return OPTIMUM + constants.reduce((sum, c) => sum + c.weight * Math.log2(values[c.name]! / c.optimum) ** 2, 0);
}

/** The params block of the spec: each constant between optimum/16 and optimum·16, ×/÷2 a local move. */
export function paramsYaml(constants: Constant[] = CONSTANTS): string {
  return constants
    .map((c) => `    - { name: ${c.name}, file: train.js, min: ${c.optimum / 16}, max: ${c.optimum * 16}, scale: log, step: 2${c.integer ? ', integer: true' : ''} }`)
    .join('\n');
}

/** The value of each constant in a revision's train.js. */
export async function constantsOf(store: Store, revisionId: string, constants: Constant[] = CONSTANTS): Promise<Record<string, number>> {
  const file = (await store.getRevisionFiles(revisionId)).find((f) => f.path === 'train.js');
  if (!file) throw new Error(`revision ${revisionId} has no train.js`);
  const source = file.content.toString('utf8');
  return Object.fromEntries(constants.map((c) => [c.name, findTopLevelConstant(source, c.name, 'train.js').value.value as number]));
}

export interface HeadStep {
  experiment: ExperimentRow;
  runs: RunRow[];
  /** The true metric of the branch head once this experiment is decided. */
  headTrue: number;
}

/**
 * The study's experiments in number order (the order they are decided in), each with its runs and the
 * true metric of the head after it: the baseline, then each keep's candidate. One branch only.
 */
export async function headTrajectory(store: Store, studyId: string): Promise<HeadStep[]> {
  const experiments = (await store.listExperiments(studyId, { limit: 1_000_000 })).sort((a, b) => a.number - b.number);
  const steps: HeadStep[] = [];
  let headTrue = Number.NaN;
  for (const experiment of experiments) {
    const kept = experiment.outcome === 'baseline' || experiment.outcome === 'keep';
    if (kept && experiment.candidateRevisionId) headTrue = trueMetric(await constantsOf(store, experiment.candidateRevisionId));
    steps.push({ experiment, runs: await store.listRuns(experiment.id), headTrue });
  }
  return steps;
}

/** Runs an experiment really used: everything but runs cancelled before they started. */
export function ranRuns(runs: RunRow[]): RunRow[] {
  return runs.filter((run) => run.startedAt !== null);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A markdown table, for pasting into bench/README.md. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
