// bench/search, speedup: the wall-clock speedup from 1 slot to 8, with branches. Each run of the
// surrogate sleeps a fixed time (it is not CPU: this machine has 2 cores, and a sleeping run stands for a
// GPU run that the controller's machine only waits on), so what is measured is how well the loop keeps
// its slots busy: the same study, the same number of experiments, once per slot count, through the real
// CLI, controller, agents and Postgres.
//
//   npm run build && npx tsx bench/search-speedup.ts [--slots 1,8] [--branches 8] [--experiments 49] [--run-ms 2500] [--seed 1]
import { parseArgs } from 'node:util';
import { connectAdmin, declarations, paramsYaml, ranRuns, runStudy, seededNoise, table, trueMetricSource } from './search-support.js';

const { values } = parseArgs({
  options: {
    slots: { type: 'string', default: '1,8' },
    branches: { type: 'string', default: '8' },
    experiments: { type: 'string', default: '49' },
    'run-ms': { type: 'string', default: '2500' },
    sigma: { type: 'string', default: '0.005' },
    seed: { type: 'string', default: '1' },
  },
});
const SLOTS = values.slots!.split(',').map(Number);
const RUN_MS = Number(values['run-ms']);
const SEED = Number(values.seed);

const files = (dir: string) => ({
  'train.js': `${declarations()}
${seededNoise(SEED, dir)}${trueMetricSource()}setTimeout(() => {
  console.log('---');
  console.log('val_bpb: ' + (trueMetric + ${Number(values.sigma)} * gaussian()).toFixed(8));
}, ${RUN_MS});
`,
  'study.yaml': `name: speedup
flavor: training
workspace: { mutable: [train.js] }
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 60, graceSeconds: 1 }
repeats: 1
baselineRepeats: 3
search: { branches: ${values.branches} }
mutator:
  kind: params
  seed: ${SEED}
  params:
${paramsYaml()}
stop: { maxExperiments: ${values.experiments} }
`,
});

interface Timing {
  slots: number;
  wallSeconds: number;
  /** First run's start to last run's end. */
  loopSeconds: number;
  runs: number;
  /** Σ run durations / (slots × loop time). */
  utilization: number;
  /** CLI start to the first run's start, and the last run's end to the CLI's exit. */
  startSeconds: number;
  endSeconds: number;
}

async function main(): Promise<void> {
  const admin = await connectAdmin();
  const timings: Timing[] = [];
  console.log(`speedup: ${values.experiments} experiments (the baseline of 3 runs included), ${values.branches} branches, runs of ${RUN_MS} ms of sleep, slots ${SLOTS.join(' and ')}`);
  try {
    for (const slots of SLOTS) {
      const timing = await runStudy(admin, { name: `speedup_${slots}`, files, slots }, async ({ store, studyId, wallSeconds, spawnedAt, exitedAt }) => {
        const runs = [];
        for (const experiment of await store.listExperiments(studyId, { limit: 100_000 })) runs.push(...ranRuns(await store.listRuns(experiment.id)));
        const starts = runs.map((r) => r.startedAt!.getTime());
        const ends = runs.map((r) => (r.finishedAt ?? r.startedAt!).getTime());
        const loopSeconds = (Math.max(...ends) - Math.min(...starts)) / 1000;
        const busy = runs.reduce((sum, r, i) => sum + (ends[i]! - starts[i]!), 0) / 1000;
        const startSeconds = (Math.min(...starts) - spawnedAt) / 1000;
        const endSeconds = (exitedAt - Math.max(...ends)) / 1000;
        return { slots, wallSeconds, loopSeconds, runs: runs.length, utilization: busy / (slots * loopSeconds), startSeconds, endSeconds };
      });
      timings.push(timing);
      console.log(`  ${slots} slot${slots === 1 ? '' : 's'}: ${timing.runs} runs, wall ${timing.wallSeconds.toFixed(1)} s, loop ${timing.loopSeconds.toFixed(1)} s ` +
        `(after ${timing.startSeconds.toFixed(1)} s of start, and ${timing.endSeconds.toFixed(1)} s to exit after the last run), slot utilization ${(100 * timing.utilization).toFixed(0)}%`);
    }
  } finally {
    await admin.end();
  }
  const base = timings[0]!;
  console.log('');
  console.log(table(
    ['slots', 'runs', 'wall time', 'speedup (wall)', 'loop time', 'speedup (loop)', 'slot utilization'],
    timings.map((t) => [
      String(t.slots),
      String(t.runs),
      `${t.wallSeconds.toFixed(1)} s`,
      `${(base.wallSeconds / t.wallSeconds).toFixed(2)}×`,
      `${t.loopSeconds.toFixed(1)} s`,
      `${(base.loopSeconds / t.loopSeconds).toFixed(2)}×`,
      `${(100 * t.utilization).toFixed(0)}%`,
    ]),
  ));
}

await main();
