// bench/promotion: screen, then promote. The GPU time the loop needs before its head's TRUE metric is within
// ε of the optimum, with and without stages, on the search benchmark's surrogate (search-support.ts), for a
// configurable correlation ρ between a configuration's screen and full results.
//
// The full stage's metric is the surrogate's bowl (its three constants, and three more already at their
// optimum) plus Gaussian noise σ. The screen, a fifth of the budget, sees
//     1.5 + ρ·(true − 1) + √(1 − ρ²)·S·z(configuration) + σ_screen·N(0, 1)
// where z is a fixed N(0, 1) draw per configuration (a short run's own bias, the same each time that
// configuration is screened) and S the spread of the true metric over the configurations the params
// mutator can reach: over those, screen and full correlate with exactly ρ. Each study runs through the real
// compiled CLI, controller and agents; GPU time counts a full run as 5 GPU-minutes and a screen run as 1.
// Quality is the true metric of the head, read from its revision.
//
//   npm run build && npx tsx bench/promotion.ts [--seeds 7] [--first-seed 1] [--correlations 1,0.9,0.5,0]
//       [--sigma 0.005] [--screen-sigma 0.005] [--experiments 80] [--epsilon 0.03] [--variants full,staged,staged-top]
//       [--slots 1] [--trace]
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExperimentRow, RunRow } from '../services/controller/src/store/schema.js';
import type { Store } from '../services/controller/src/store/store.js';
import {
  CONSTANTS,
  connectAdmin,
  constantsOf,
  declarations,
  median,
  NOMINAL_RUN_MINUTES,
  OPTIMUM,
  paramsYaml,
  ranRuns,
  runStudy,
  seededNoise,
  table,
  trueMetric,
  trueMetricSource,
  type Constant,
} from './search-support.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '7' },
    'first-seed': { type: 'string', default: '1' },
    correlations: { type: 'string', default: '1,0.9,0.5,0' },
    sigma: { type: 'string', default: '0.005' },
    'screen-sigma': { type: 'string', default: '0.005' },
    experiments: { type: 'string', default: '80' },
    epsilon: { type: 'string', default: '0.03' },
    variants: { type: 'string', default: 'full,staged' },
    slots: { type: 'string', default: '1' },
    trace: { type: 'boolean', default: false },
  },
});
const SEEDS = Number(values.seeds);
const CORRELATIONS = values.correlations!.split(',').map(Number);
const EPSILON = Number(values.epsilon);
/** Where the runs claim their noise draws (search-support.ts, seededNoise); removed at the end. */
const NOISE_ROOT = mkdtempSync(join(tmpdir(), 'autoresearch-bench-promotion-'));
process.on('exit', () => rmSync(NOISE_ROOT, { recursive: true, force: true }));

/** The screen's budget against the full stage's: what a screen run costs in full runs. */
const SCREEN_SECONDS = 60;
const FULL_SECONDS = 300;

/** What differs between the compared searches: whether candidates are screened first, and how. */
const VARIANTS: Record<string, { describe: string; yaml: string }> = {
  full: { describe: 'every candidate runs the full budget (1 run; rule noise-aware, baseline 3)', yaml: `run: { command: node train.js, budgetSeconds: ${FULL_SECONDS}, graceSeconds: 1 }` },
  staged: {
    describe: 'screen (1 run at 60 s), promoted unless worse than the head by more than the noise, then full (1 run at 300 s); baseline 3 at each',
    yaml: `run: { command: node train.js, budgetSeconds: ${FULL_SECONDS}, graceSeconds: 1 }
stages:
  - { name: screen, budgetSeconds: ${SCREEN_SECONDS}, repeats: 1 }
  - { name: full, budgetSeconds: ${FULL_SECONDS}, repeats: 1 }`,
  },
  'staged-top': {
    describe: 'screen (1 run at 60 s), the best third of the last 10 screened promoted, then full (1 run at 300 s); baseline 3 at each',
    yaml: `run: { command: node train.js, budgetSeconds: ${FULL_SECONDS}, graceSeconds: 1 }
stages:
  - { name: screen, budgetSeconds: ${SCREEN_SECONDS}, repeats: 1, promote: { rule: top-fraction } }
  - { name: full, budgetSeconds: ${FULL_SECONDS}, repeats: 1 }`,
  },
};

/**
 * The search benchmark's three constants, and three more already at their optimum: most knobs of a real
 * training script are tuned, so most one-step changes make it worse, which is what a screen is for.
 */
const BENCH_CONSTANTS: Constant[] = [
  ...CONSTANTS,
  { name: 'DEPTH', optimum: 16, weight: 0.01, offset: 0, integer: true },
  { name: 'CLIP', optimum: 1, weight: 0.01, offset: 0 },
  { name: 'BETA2', optimum: 0.25, weight: 0.01, offset: 0 },
];

/**
 * S: the spread of the true metric over the configurations the params mutator can reach, each constant at
 * optimum·2^k for k = −4 … 4 (9^6 of them): the weighted sum of independent k², k uniform, Var(k²) = 708/9 − (60/9)².
 */
function gridSpread(): number {
  const ks = Array.from({ length: 9 }, (_, i) => i - 4);
  const meanK2 = ks.reduce((sum, k) => sum + k * k, 0) / ks.length;
  const varianceK2 = ks.reduce((sum, k) => sum + (k * k - meanK2) ** 2, 0) / ks.length;
  return Math.sqrt(BENCH_CONSTANTS.reduce((sum, c) => sum + c.weight ** 2 * varianceK2, 0));
}

/**
 * z(configuration): a N(0, 1) draw fixed by the constants' doublings from their optima and the study's seed,
 * the same in every run of that configuration. As JavaScript for train.js.
 */
function screenBiasSource(seed: number): string {
  const doublings = BENCH_CONSTANTS.map((c) => `Math.round(Math.log2(${c.name} / ${c.optimum}))`).join(', ');
  return `const biasOf = (key) => {
  let h = ${seed} >>> 0;
  for (const k of key) h = Math.imul(h ^ (k + 17), 2654435761) >>> 0;
  const draw = () => { h = (h + 0x6d2b79f5) >>> 0; let t = h; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  return Math.sqrt(-2 * Math.log(1 - draw())) * Math.cos(2 * Math.PI * draw());
};
const screenBias = biasOf([${doublings}]);
`;
}

/**
 * The study folder. Its train.js is the same text for a seed whatever the variant and ρ (those reach it
 * through run.env, and study.yaml is not part of the workspace), so the revisions, and with them the params
 * mutator's proposals, are the same in every variant until their decisions differ: the comparison is paired.
 * The screen draws its noise from a stream of its own, so the full runs draw alike in both too.
 */
function files(variant: string, seed: number, correlation: number, spread: number, noiseRoot: string) {
  return () => ({
    'train.js': `${declarations(BENCH_CONSTANTS)}
const screen = process.env.AUTORESEARCH_STAGE === 'screen';
const gaussian = screen
  ? (() => { ${seededNoise(seed + 7919, join(noiseRoot, 'screen'))} return gaussian; })()
  : (() => { ${seededNoise(seed, noiseRoot)} return gaussian; })();
${trueMetricSource(BENCH_CONSTANTS)}${screenBiasSource(seed)}const rho = Number(process.env.RHO);
const value = screen
  ? 1.5 + rho * (trueMetric - 1) + Math.sqrt(Math.max(0, 1 - rho * rho)) * Number(process.env.SPREAD) * screenBias + Number(process.env.SCREEN_SIGMA) * gaussian()
  : trueMetric + Number(process.env.SIGMA) * gaussian();
console.log('---');
console.log('val_bpb: ' + value.toFixed(8));
`,
    'study.yaml': `name: promotion
flavor: training
workspace: { mutable: [train.js] }
objective: { metric: val_bpb, direction: minimize }
${VARIANTS[variant]!.yaml.replace('graceSeconds: 1 }', `graceSeconds: 1, env: { RHO: "${correlation}", SPREAD: "${spread}", SIGMA: "${values.sigma}", SCREEN_SIGMA: "${values['screen-sigma']}" } }`)}
repeats: 1
baselineRepeats: 3
decision: { rule: noise-aware }
mutator:
  kind: params
  seed: ${seed}
  params:
${paramsYaml(BENCH_CONSTANTS)}
stop: { maxExperiments: ${values.experiments} }
`,
  });
}

interface Outcome {
  /** GPU-minutes spent until the head was first within ε of the optimum, or null when it never was. */
  gpuMinutesToTarget: number | null;
  gpuMinutes: number;
  fullRuns: number;
  screenRuns: number;
  screenedOut: number;
  keeps: number;
  finalGap: number;
  exhausted: boolean;
  wallSeconds: number;
}

async function measure(admin: Awaited<ReturnType<typeof connectAdmin>>, variant: string, seed: number, correlation: number, spread: number): Promise<Outcome> {
  const name = `promotion_${variant}_${String(correlation).replace('.', '')}_${seed}`;
  // One noise folder per seed, emptied before each study: its path is part of train.js.
  const noiseRoot = join(NOISE_ROOT, `seed-${seed}`);
  await rm(noiseRoot, { recursive: true, force: true });
  return runStudy(admin, { name, files: files(variant, seed, correlation, spread, noiseRoot), slots: Number(values.slots) }, async ({ store, studyId, wallSeconds }) => {
    const trajectory = await trajectoryOf(store, studyId);
    const staged = variant !== 'full';
    let gpuMinutes = 0;
    let fullRuns = 0;
    let screenRuns = 0;
    let gpuMinutesToTarget: number | null = null;
    for (const { experiment, runs, headTrue } of trajectory) {
      for (const run of ranRuns(runs)) {
        const screen = staged && run.stage === 0;
        if (screen) screenRuns += 1;
        else fullRuns += 1;
        gpuMinutes += screen ? (NOMINAL_RUN_MINUTES * SCREEN_SECONDS) / FULL_SECONDS : NOMINAL_RUN_MINUTES;
      }
      if (values.trace) console.log(`    #${experiment.number} ${experiment.outcome} ${experiment.description} → head true ${headTrue.toFixed(3)}: ${experiment.reason}`);
      if (gpuMinutesToTarget === null && headTrue - OPTIMUM <= EPSILON + 1e-12) gpuMinutesToTarget = gpuMinutes;
    }
    return {
      gpuMinutesToTarget,
      gpuMinutes,
      fullRuns,
      screenRuns,
      screenedOut: trajectory.filter((s) => s.experiment.outcome === 'screened-out').length,
      keeps: trajectory.filter((s) => s.experiment.outcome === 'keep').length,
      finalGap: trajectory.at(-1)!.headTrue - OPTIMUM,
      exhausted: ((await store.getStudy(studyId))?.stopReason ?? '').startsWith('search exhausted'),
      wallSeconds,
    };
  });
}

/** The experiments in number order, each with its runs and the true metric of the head once it is decided (one branch). */
async function trajectoryOf(store: Store, studyId: string): Promise<{ experiment: ExperimentRow; runs: RunRow[]; headTrue: number }[]> {
  const experiments = (await store.listExperiments(studyId, { limit: 1_000_000 })).sort((a, b) => a.number - b.number);
  const steps = [];
  let headTrue = Number.NaN;
  for (const experiment of experiments) {
    if ((experiment.outcome === 'baseline' || experiment.outcome === 'keep') && experiment.candidateRevisionId) {
      headTrue = trueMetric(await constantsOf(store, experiment.candidateRevisionId, BENCH_CONSTANTS), BENCH_CONSTANTS);
    }
    steps.push({ experiment, runs: await store.listRuns(experiment.id), headTrue });
  }
  return steps;
}

/** The median over seeds of a cost to reach ε, a seed that never reached it counting as infinite ("—" when half or more never did). */
function costMedian(outcomes: Outcome[], digits = 1): string {
  const sorted = outcomes.map((o) => o.gpuMinutesToTarget ?? Infinity).sort((a, b) => a - b);
  const middle = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return Number.isFinite(middle) ? (middle / 60).toFixed(digits + 1) : '—';
}

async function main(): Promise<void> {
  const admin = await connectAdmin();
  const variants = values.variants!.split(',');
  for (const variant of variants) if (!VARIANTS[variant]) throw new Error(`unknown variant ${variant}; known: ${Object.keys(VARIANTS).join(', ')}`);
  const spread = gridSpread();
  console.log(`screen, then promote: head within ε=${EPSILON} of the optimum ${OPTIMUM}; ${SEEDS} seeds × ρ ∈ {${CORRELATIONS.join(', ')}}, σ=${values.sigma} (full), ` +
    `${values['screen-sigma']} (screen), at most ${values.experiments} experiments, ${values.slots} slot(s); S=${spread.toFixed(4)}; a full run is ${NOMINAL_RUN_MINUTES} GPU-minutes, a screen run ${(NOMINAL_RUN_MINUTES * SCREEN_SECONDS) / FULL_SECONDS}`);
  const rows: string[][] = [];
  try {
    for (const correlation of CORRELATIONS) {
      // Without stages nothing is screened, so ρ changes nothing: the full search runs once, at the first ρ.
      for (const variant of variants) {
        if (variant === 'full' && correlation !== CORRELATIONS[0]) continue;
        const outcomes: Outcome[] = [];
        for (let seed = Number(values['first-seed']); seed < Number(values['first-seed']) + SEEDS; seed++) {
          const outcome = await measure(admin, variant, seed, correlation, spread);
          outcomes.push(outcome);
          console.log(`  ρ=${correlation} ${variant.padEnd(10)} seed ${seed}: ${outcome.gpuMinutesToTarget === null ? 'never within ε' : `within ε after ${(outcome.gpuMinutesToTarget / 60).toFixed(2)} GPU-h`}, ` +
            `${outcome.fullRuns} full + ${outcome.screenRuns} screen runs (${outcome.screenedOut} screened out), ${outcome.keeps} keeps, ` +
            `final true gap ${outcome.finalGap.toFixed(3)}${outcome.exhausted ? ', ended exhausted' : ''}, ${outcome.wallSeconds.toFixed(0)} s`);
        }
        const reached = outcomes.filter((o) => o.gpuMinutesToTarget !== null).length;
        rows.push([
          variant === 'full' ? 'any' : String(correlation),
          variant,
          `${reached} of ${outcomes.length}`,
          costMedian(outcomes),
          (median(outcomes.map((o) => o.gpuMinutes)) / 60).toFixed(2),
          `${median(outcomes.map((o) => o.fullRuns))} + ${median(outcomes.map((o) => o.screenRuns))}`,
          String(median(outcomes.map((o) => o.screenedOut))),
          median(outcomes.map((o) => o.finalGap)).toFixed(3),
          `${outcomes.filter((o) => o.exhausted).length} of ${outcomes.length}`,
        ]);
      }
    }
  } finally {
    await admin.end();
  }
  console.log('');
  for (const variant of variants) console.log(`${variant}: ${VARIANTS[variant]!.describe}`);
  console.log('Medians over the seeds; a seed whose head never got within ε counts as infinitely costly ("—": half or more never did).');
  console.log(table(
    ['ρ (screen vs full)', 'search', 'head within ε', 'GPU-hours to ε', 'GPU-hours in all', 'runs: full + screen', 'screened out', 'final true gap', 'ended exhausted'],
    rows,
  ));
}

await main();
