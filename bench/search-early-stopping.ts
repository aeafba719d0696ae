// bench/search, early stopping: the GPU time the median stopping rule saves, at equal final quality. The
// surrogate trains for a number of steps, printing `step=N val_bpb=…` as it goes (a curve falling as 1/step
// towards its final value, which is the true metric plus the run's Gaussian noise, with a little jitter per
// step). The same studies (same seeds) run with and without `earlyStopping: { rule: median }` through the
// real CLI, controller and agents. GPU time counts the steps each run really made (its last reported
// step; a run of all its steps is one nominal run), and the bench also sums the runs' measured durations.
// Quality is the TRUE metric of the final head, read from its revision.
//
//   npm run build && npx tsx bench/search-early-stopping.ts [--seeds 3] [--experiments 20] [--steps 20] [--step-ms 100] [--sigma 0.002] [--slots 1]
import { parseArgs } from 'node:util';
import {
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
    experiments: { type: 'string', default: '20' },
    steps: { type: 'string', default: '20' },
    'step-ms': { type: 'string', default: '100' },
    sigma: { type: 'string', default: '0.002' },
    jitter: { type: 'string', default: '0.002' },
    epsilon: { type: 'string', default: '0.03' },
    slots: { type: 'string', default: '1' },
  },
});
const SEEDS = Number(values.seeds);
const STEPS = Number(values.steps);
const EPSILON = Number(values.epsilon);

function files(seed: number, earlyStopping: boolean) {
  return (dir: string) => ({
    'train.js': `${declarations()}
${seededNoise(seed, dir)}${trueMetricSource()}const final = trueMetric + ${Number(values.sigma)} * gaussian();
let step = 0;
const timer = setInterval(() => {
  step += 1;
  console.log('step=' + step + ' val_bpb=' + (final + 0.5 / step + ${Number(values.jitter)} * gaussian()).toFixed(6));
  if (step === ${STEPS}) {
    clearInterval(timer);
    console.log('---');
    console.log('val_bpb: ' + final.toFixed(8));
  }
}, ${Number(values['step-ms'])});
`,
    'study.yaml': `name: early-stopping
flavor: training
workspace: { mutable: [train.js] }
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 60, graceSeconds: 1 }
repeats: 1
baselineRepeats: 3
${earlyStopping ? 'earlyStopping: { rule: median }\n' : ''}mutator:
  kind: params
  seed: ${seed}
  params:
${paramsYaml()}
stop: { maxExperiments: ${values.experiments} }
`,
  });
}

interface Outcome {
  runs: number;
  earlyStopped: number;
  /** Steps the runs really made, in nominal runs of STEPS steps. */
  nominalRuns: number;
  /** Σ measured run durations. */
  runSeconds: number;
  /** Nominal runs until the head was first within ε of the optimum, or null. */
  nominalRunsToTarget: number | null;
  finalGap: number;
  keeps: number;
  wallSeconds: number;
}

async function measure(admin: Awaited<ReturnType<typeof connectAdmin>>, seed: number, earlyStopping: boolean): Promise<Outcome> {
  const name = `early_${earlyStopping ? 'on' : 'off'}_${seed}`;
  return runStudy(admin, { name, files: files(seed, earlyStopping), slots: Number(values.slots) }, async ({ store, studyId, wallSeconds }) => {
    let nominalRuns = 0;
    let runSeconds = 0;
    let runs = 0;
    let nominalRunsToTarget: number | null = null;
    const trajectory = await headTrajectory(store, studyId);
    for (const { runs: experimentRuns, headTrue } of trajectory) {
      for (const run of ranRuns(experimentRuns)) {
        const points = (await store.getMetrics(run.id, { kind: 'intermediate' })).filter((p) => p.name === 'val_bpb' && p.attempt === run.attempt);
        const steps = run.status === 'succeeded' ? STEPS : Math.max(0, ...points.map((p) => p.step ?? 0));
        nominalRuns += steps / STEPS;
        runSeconds += ((run.finishedAt ?? run.startedAt!).getTime() - run.startedAt!.getTime()) / 1000;
        runs += 1;
      }
      if (nominalRunsToTarget === null && headTrue - OPTIMUM <= EPSILON + 1e-12) nominalRunsToTarget = nominalRuns;
    }
    return {
      runs,
      earlyStopped: trajectory.filter((s) => s.experiment.outcome === 'early-stopped').length,
      nominalRuns,
      runSeconds,
      nominalRunsToTarget,
      finalGap: trajectory.at(-1)!.headTrue - OPTIMUM,
      keeps: trajectory.filter((s) => s.experiment.outcome === 'keep').length,
      wallSeconds,
    };
  });
}

async function main(): Promise<void> {
  const admin = await connectAdmin();
  console.log(`early stopping: ${SEEDS} seeds × ${values.experiments} experiments (the baseline of 3 runs included), runs of ${STEPS} steps × ${values['step-ms']} ms, ` +
    `σ=${values.sigma} (final), jitter ${values.jitter} per step, ${values.slots} slot(s); a run of ${STEPS} steps is ${NOMINAL_RUN_MINUTES} GPU-minutes`);
  const results: Record<'off' | 'on', Outcome[]> = { off: [], on: [] };
  try {
    for (let seed = 1; seed <= SEEDS; seed++) {
      for (const earlyStopping of [false, true]) {
        const outcome = await measure(admin, seed, earlyStopping);
        results[earlyStopping ? 'on' : 'off'].push(outcome);
        console.log(`  seed ${seed} early stopping ${earlyStopping ? 'on ' : 'off'}: ${outcome.runs} runs (${outcome.earlyStopped} early-stopped) = ${outcome.nominalRuns.toFixed(1)} nominal runs, ` +
          `${outcome.runSeconds.toFixed(0)} s of runs; ${outcome.keeps} keeps; final true gap ${outcome.finalGap.toFixed(3)}; ` +
          `within ε after ${outcome.nominalRunsToTarget === null ? '—' : outcome.nominalRunsToTarget.toFixed(1)} nominal runs; ${outcome.wallSeconds.toFixed(0)} s`);
      }
    }
  } finally {
    await admin.end();
  }
  const gpuHours = (nominalRuns: number) => (nominalRuns * NOMINAL_RUN_MINUTES) / 60;
  const row = (label: string, outcomes: Outcome[]) => {
    const reached = outcomes.filter((o) => o.nominalRunsToTarget !== null);
    return [
      label,
      String(median(outcomes.map((o) => o.runs))),
      String(median(outcomes.map((o) => o.earlyStopped))),
      gpuHours(median(outcomes.map((o) => o.nominalRuns))).toFixed(2),
      `${median(outcomes.map((o) => o.runSeconds)).toFixed(0)} s`,
      `${reached.length} of ${outcomes.length}${reached.length > 0 ? `, median ${gpuHours(median(reached.map((o) => o.nominalRunsToTarget!))).toFixed(2)} GPU-h` : ''}`,
      median(outcomes.map((o) => o.finalGap)).toFixed(3),
    ];
  };
  const total = (outcomes: Outcome[], pick: (o: Outcome) => number) => outcomes.reduce((sum, o) => sum + pick(o), 0);
  const cut = (pick: (o: Outcome) => number) => `${(100 * (1 - total(results.on, pick) / total(results.off, pick))).toFixed(0)}%`;
  console.log('');
  console.log(table(
    ['early stopping', 'runs (median)', 'early-stopped (median)', 'GPU-hours, steps run (median)', 'Σ run time (median)', 'head within ε', 'final true gap (median)'],
    [row('off', results.off), row('on (median rule)', results.on)],
  ));
  console.log(`GPU time cut by early stopping, all seeds together: ${cut((o) => o.nominalRuns)} of the steps run, ${cut((o) => o.runSeconds)} of the measured run time`);
}

await main();
