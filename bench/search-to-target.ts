// bench/search, experiments to target: how many experiments, and how much GPU time, the loop needs before
// its head's TRUE metric is within ε of the optimum, under the strict rule (autoresearch's: keep if
// better), the default noise-aware rule, the noise-aware rule with more baseline runs and adaptive
// repeats, and random search (the params mutator's strategy random). The surrogate's metric is a known
// bowl of its three constants plus Gaussian noise of σ, so the bench knows each head's true metric (it
// reads the constants from the recorded revisions); each run is one Node process of a few milliseconds.
//
//   npm run build && npx tsx bench/search-to-target.ts [--seeds 3] [--first-seed 1] [--sigmas 0.02] [--experiments 50]
//       [--epsilon 0.03] [--variants strict,noise-aware,random] [--slots 1] [--trace]
//   variants: strict, strict-r3, noise-aware, noise-aware-tuned, noise-aware-r3, noise-aware-c80,
//   noise-aware-m16, noise-aware-m32, random, random-strict (VARIANTS below); --trace prints every decision.
import { parseArgs } from 'node:util';
import {
  CONSTANTS,
  connectAdmin,
  declarations,
  headTrajectory,
  median,
  NOMINAL_RUN_MINUTES,
  OPTIMUM,
  paramsYaml,
  ranRuns,
  runStudy,
  seededNoise,
  table,
  trueMetricSource,
} from './search-support.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    'first-seed': { type: 'string', default: '1' },
    sigmas: { type: 'string', default: '0.02' },
    experiments: { type: 'string', default: '50' },
    epsilon: { type: 'string', default: '0.03' },
    variants: { type: 'string', default: 'strict,noise-aware,random' },
    slots: { type: 'string', default: '1' },
    trace: { type: 'boolean', default: false },
  },
});
const SEEDS = Number(values.seeds);
const FIRST_SEED = Number(values['first-seed']);
const SIGMAS = values.sigmas!.split(',').map(Number);
const EXPERIMENTS = Number(values.experiments);
const EPSILON = Number(values.epsilon);
const SLOTS = Number(values.slots);

/** What differs between the compared searches: the keep rule, the runs, the strategy. */
const VARIANTS: Record<string, { describe: string; yaml: string; strategy: 'local' | 'random' }> = {
  strict: { describe: 'local moves, rule strict, 1 run, baseline 3', strategy: 'local', yaml: 'repeats: 1\nbaselineRepeats: 3\ndecision: { rule: strict }' },
  'noise-aware': { describe: 'local moves, rule noise-aware (default), 1 run, baseline 3', strategy: 'local', yaml: 'repeats: 1\nbaselineRepeats: 3\ndecision: { rule: noise-aware }' },
  'noise-aware-tuned': {
    describe: 'local moves, rule noise-aware, 1 run (adaptive up to 8), baseline 8',
    strategy: 'local',
    yaml: 'repeats: 1\nbaselineRepeats: 8\ndecision: { rule: noise-aware, maxRepeats: 8 }',
  },
  'noise-aware-r3': {
    describe: 'local moves, rule noise-aware, 3 runs (adaptive up to 12), baseline 8',
    strategy: 'local',
    yaml: 'repeats: 3\nbaselineRepeats: 8\ndecision: { rule: noise-aware, maxRepeats: 12 }',
  },
  'noise-aware-c80': {
    describe: 'local moves, rule noise-aware at confidence 0.8, 1 run (adaptive up to 8), baseline 8',
    strategy: 'local',
    yaml: 'repeats: 1\nbaselineRepeats: 8\ndecision: { rule: noise-aware, confidence: 0.8, maxRepeats: 8 }',
  },
  'noise-aware-m32': {
    describe: 'local moves, rule noise-aware, 1 run (adaptive up to 32, the head alongside; inconclusive changes retried), baseline 8',
    strategy: 'local',
    yaml: 'repeats: 1\nbaselineRepeats: 8\ndecision: { rule: noise-aware, maxRepeats: 32 }',
  },
  'noise-aware-m16': {
    describe: 'local moves, rule noise-aware, 1 run (adaptive up to 16, the head alongside; inconclusive changes retried), baseline 3',
    strategy: 'local',
    yaml: 'repeats: 1\nbaselineRepeats: 3\ndecision: { rule: noise-aware, maxRepeats: 16 }',
  },
  'strict-r3': { describe: 'local moves, rule strict, 3 runs, baseline 3', strategy: 'local', yaml: 'repeats: 3\nbaselineRepeats: 3\ndecision: { rule: strict }' },
  random: { describe: 'random search, rule noise-aware (default), 1 run, baseline 3', strategy: 'random', yaml: 'repeats: 1\nbaselineRepeats: 3\ndecision: { rule: noise-aware }' },
  'random-strict': { describe: 'random search, rule strict (keep the best seen), 1 run, baseline 3', strategy: 'random', yaml: 'repeats: 1\nbaselineRepeats: 3\ndecision: { rule: strict }' },
};

function files(variant: string, seed: number, sigma: number) {
  const { yaml, strategy } = VARIANTS[variant]!;
  return (dir: string) => ({
    'train.js': `${declarations()}
${seededNoise(seed, dir)}${trueMetricSource()}console.log('---');
console.log('val_bpb: ' + (trueMetric + ${sigma} * gaussian()).toFixed(8));
`,
    'study.yaml': `name: to-target
flavor: training
workspace: { mutable: [train.js] }
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 30, graceSeconds: 1 }
${yaml}
mutator:
  kind: params
  seed: ${seed}
  strategy: ${strategy}
  params:
${paramsYaml()}
stop: { maxExperiments: ${EXPERIMENTS} }
`,
  });
}

interface Outcome {
  /** The experiment whose decision first put the head within ε, or null if none did. */
  reachedAt: number | null;
  /** Runs of the experiments up to and including it (all of them when never reached). */
  runs: number;
  totalRuns: number;
  finalGap: number;
  keeps: number;
  /** The study ended because every move from its head had been tried. */
  exhausted: boolean;
  wallSeconds: number;
}

async function measure(admin: Awaited<ReturnType<typeof connectAdmin>>, variant: string, seed: number, sigma: number): Promise<Outcome> {
  return runStudy(admin, { name: `target_${variant}_${seed}`, files: files(variant, seed, sigma), slots: SLOTS }, async ({ store, studyId, wallSeconds }) => {
    const trajectory = await headTrajectory(store, studyId);
    if (values.trace) {
      for (const { experiment, runs, headTrue } of trajectory) {
        console.log(`    #${experiment.number} ${experiment.outcome} ${experiment.description} (${ranRuns(runs).length} runs) → head true ${headTrue.toFixed(3)}: ${experiment.reason}`);
      }
      console.log(`    stopped: ${(await store.getStudy(studyId))?.stopReason}`);
    }
    let runs = 0;
    let reachedAt: number | null = null;
    let runsToTarget = 0;
    for (const step of trajectory) {
      runs += ranRuns(step.runs).length;
      if (reachedAt === null && step.headTrue - OPTIMUM <= EPSILON + 1e-12) {
        reachedAt = step.experiment.number;
        runsToTarget = runs;
      }
    }
    return {
      reachedAt,
      runs: reachedAt === null ? runs : runsToTarget,
      totalRuns: runs,
      finalGap: trajectory.at(-1)!.headTrue - OPTIMUM,
      keeps: trajectory.filter((s) => s.experiment.outcome === 'keep').length,
      exhausted: ((await store.getStudy(studyId))?.stopReason ?? '').startsWith('search exhausted'),
      wallSeconds,
    };
  });
}

/**
 * The median over seeds of a cost to reach ε, counting a seed that never reached it as infinite: "—" when
 * half the seeds or more never did.
 */
function costMedian(outcomes: Outcome[], cost: (o: Outcome) => number, digits = 0): string {
  const sorted = outcomes.map((o) => (o.reachedAt === null ? Infinity : cost(o))).sort((a, b) => a - b);
  const middle = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return Number.isFinite(middle) ? middle.toFixed(digits) : '—';
}

async function main(): Promise<void> {
  const admin = await connectAdmin();
  const variants = values.variants!.split(',');
  for (const variant of variants) if (!VARIANTS[variant]) throw new Error(`unknown variant ${variant}; known: ${Object.keys(VARIANTS).join(', ')}`);
  const start = CONSTANTS.map((c) => `${c.name} ${c.offset > 0 ? '+' : ''}${c.offset}`).join(', ');
  console.log(`experiments to target: true metric within ε=${EPSILON} of the optimum ${OPTIMUM}; ${SEEDS} seeds, σ ∈ {${SIGMAS.join(', ')}}, ` +
    `at most ${EXPERIMENTS} experiments (the baseline included), ${SLOTS} slots; start ${start} doublings from the optimum; ` +
    `GPU time counts each run as ${NOMINAL_RUN_MINUTES} GPU-minutes`);
  const rows: string[][] = [];
  try {
    for (const sigma of SIGMAS) {
      for (const variant of variants) {
        const outcomes: Outcome[] = [];
        for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
          const outcome = await measure(admin, variant, seed, sigma);
          outcomes.push(outcome);
          console.log(`  σ=${sigma} ${variant.padEnd(17)} seed ${seed}: ${outcome.reachedAt === null ? 'never within ε' : `within ε after experiment #${outcome.reachedAt}`}, ` +
            `${outcome.reachedAt === null ? '' : `${outcome.runs} runs to get there, `}${outcome.keeps} keeps, final true gap ${outcome.finalGap.toFixed(3)}, ` +
            `${outcome.totalRuns} runs${outcome.exhausted ? ', ended exhausted' : ''}, ${outcome.wallSeconds.toFixed(0)} s`);
        }
        const reached = outcomes.filter((o) => o.reachedAt !== null).length;
        rows.push([
          String(sigma),
          variant,
          `${reached} of ${outcomes.length}`,
          costMedian(outcomes, (o) => o.reachedAt!),
          costMedian(outcomes, (o) => o.runs),
          costMedian(outcomes, (o) => (o.runs * NOMINAL_RUN_MINUTES) / 60, 1),
          String(median(outcomes.map((o) => o.totalRuns))),
          `${outcomes.filter((o) => o.exhausted).length} of ${outcomes.length}`,
          median(outcomes.map((o) => o.finalGap)).toFixed(3),
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
    ['σ', 'search', 'head within ε', 'experiments to ε', 'runs to ε', `GPU-hours to ε (${NOMINAL_RUN_MINUTES} min a run)`, 'runs in all', 'ended exhausted', 'final true gap'],
    rows,
  ));
}

await main();
