// bench/search, part one: false keeps. Every change the mutator can make is a no-op (constants the script
// never reads), so every keep is a false keep: noise taken for progress. Each study runs through the real
// CLI, controller and agents (the compiled CLI, as users run it), under the strict rule (autoresearch's:
// keep if better) and under the default noise-aware rule, and the bench prints the share of no-op
// candidates each kept. The noise is Gaussian, seeded per study and run, so a run of the bench repeats.
// Two rates: over every decision, and over the decisions made against the baseline itself (each of the
// `--branches` branches starts from it), which are independent comparisons of a no-op with a measured head.
//
//   npm run build && npx tsx bench/search.ts [--studies 3] [--experiments 41] [--branches 8] [--sigma 0.01] [--slots 2]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore } from '../services/controller/src/store/open-store.js';

const { values } = parseArgs({
  options: {
    studies: { type: 'string', default: '3' },
    experiments: { type: 'string', default: '41' },
    sigma: { type: 'string', default: '0.01' },
    branches: { type: 'string', default: '8' },
    slots: { type: 'string', default: '2' },
  },
});
const STUDIES = Number(values.studies);
const EXPERIMENTS = Number(values.experiments);
const SIGMA = Number(values.sigma);
const NO_OPS = 20;

/** 1 + σ·N(0,1); the k-th run of a study draws from a mulberry32 stream seeded by (seed, k). */
const script = (seed: number, counterFile: string) => `${Array.from({ length: NO_OPS }, (_, i) => `const N${i} = 0;`).join('\n')}
const fs = require('node:fs');
const counter = ${JSON.stringify(counterFile)};
const k = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(k + 1));
let a = (${seed} * 1000003 + k * 7919) >>> 0;
const rand = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const gaussian = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
console.log('---');
console.log('val_bpb: ' + (1 + ${SIGMA} * gaussian).toFixed(8));
`;

const spec = (rule: string) => `name: false-keeps
flavor: training
workspace: { mutable: [train.js] }
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 30, graceSeconds: 1 }
repeats: 1
baselineRepeats: 3
decision: { rule: ${rule} }
search: { branches: ${values.branches} }
mutator:
  kind: params
  params:
${Array.from({ length: NO_OPS }, (_, i) => `    - { name: N${i}, file: train.js, choices: [-1, 0, 1] }`).join('\n')}
stop: { maxExperiments: ${EXPERIMENTS} }
`;

interface Tally {
  decided: number;
  kept: number;
  /** The decisions of candidates made from the baseline itself. */
  firstDecided: number;
  firstKept: number;
}

async function runStudy(rule: 'strict' | 'noise-aware', seed: number, admin: pg.Client): Promise<Tally> {
  const dir = await mkdtemp(join(tmpdir(), 'autoresearch-bench-search-'));
  const dbName = `bench_search_${process.pid}_${rule.replace('-', '_')}_${seed}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  try {
    await writeFile(join(dir, 'train.js'), script(seed, join(dir, '.counter')));
    await writeFile(join(dir, 'study.yaml'), spec(rule));
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['bin/autoresearch.js', 'run', dir, '--slots', values.slots!, '--port', '0'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DATABASE_URL: databaseUrl },
      });
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`autoresearch run exited with ${code}`);
    const store = await openStore({ databaseUrl, poolSize: 1 });
    try {
      const study = await store.findStudyBySourceDir(dir);
      const experiments = (await store.listExperiments(study!.id, { limit: 100000 })).filter((e) => e.number > 0 && e.status === 'decided');
      const ran = experiments.filter((e) => e.outcome === 'keep' || e.outcome === 'discard');
      const baseline = await store.getExperimentByNumber(study!.id, 0);
      const first = ran.filter((e) => e.parentRevisionId === baseline!.candidateRevisionId);
      return {
        decided: ran.length,
        kept: ran.filter((e) => e.outcome === 'keep').length,
        firstDecided: first.length,
        firstKept: first.filter((e) => e.outcome === 'keep').length,
      };
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
  await admin.connect();
  try {
    console.log(`false keeps: ${STUDIES} studies per rule, ${EXPERIMENTS - 1} no-op candidates each, ${values.branches} branches, σ=${SIGMA}, ${values.slots} slots`);
    for (const rule of ['strict', 'noise-aware'] as const) {
      const total: Tally = { decided: 0, kept: 0, firstDecided: 0, firstKept: 0 };
      const started = performance.now();
      for (let seed = 1; seed <= STUDIES; seed += 1) {
        const tally = await runStudy(rule, seed, admin);
        for (const key of Object.keys(total) as (keyof Tally)[]) total[key] += tally[key];
        console.log(`  ${rule.padEnd(11)} seed ${seed}: ${tally.kept} of ${tally.decided} no-op candidates kept; against the baseline ${tally.firstKept} of ${tally.firstDecided}`);
      }
      const seconds = (performance.now() - started) / 1000;
      const rate = (kept: number, of: number) => `${((100 * kept) / Math.max(1, of)).toFixed(1)}% (${kept}/${of})`;
      console.log(`${rule.padEnd(11)} false-keep rate ${rate(total.kept, total.decided)}; against the baseline ${rate(total.firstKept, total.firstDecided)}; ${seconds.toFixed(0)} s`);
    }
  } finally {
    await admin.end();
  }
}

await main();
