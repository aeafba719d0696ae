// bench/search, part one: false keeps. Every change the mutator can make is a no-op (constants the script
// never reads), so every keep is a false keep: noise taken for progress. Each study runs through the real
// CLI, controller and agents (the compiled CLI, as users run it), under the strict rule (autoresearch's:
// keep if better) and under the default noise-aware rule, and the bench prints the share of no-op
// candidates each kept. The noise is Gaussian, seeded per study and run, so a run of the bench repeats.
// Two rates: over every decision, and over the decisions made against the baseline itself (each of the
// `--branches` branches starts from it), which are independent comparisons of a no-op with a measured head.
//
//   npm run build && npx tsx bench/search.ts [--studies 3] [--experiments 41] [--branches 8] [--sigma 0.01] [--slots 2]
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { connectAdmin, runStudy, seededNoise } from './search-support.js';

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

/** 1 + σ·N(0,1), the noise seeded by the study and the run's number (search-support.ts). */
const script = (seed: number, dir: string) => `${Array.from({ length: NO_OPS }, (_, i) => `const N${i} = 0;`).join('\n')}
${seededNoise(seed, dir)}console.log('---');
console.log('val_bpb: ' + (1 + ${SIGMA} * gaussian()).toFixed(8));
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

async function falseKeeps(rule: 'strict' | 'noise-aware', seed: number, admin: pg.Client): Promise<Tally> {
  const files = (dir: string) => ({ 'train.js': script(seed, dir), 'study.yaml': spec(rule) });
  return runStudy(admin, { name: `search_${rule}_${seed}`, files, slots: Number(values.slots) }, async ({ store, studyId }) => {
    const experiments = (await store.listExperiments(studyId, { limit: 100000 })).filter((e) => e.number > 0 && e.status === 'decided');
    const ran = experiments.filter((e) => e.outcome === 'keep' || e.outcome === 'discard');
    const baseline = await store.getExperimentByNumber(studyId, 0);
    const first = ran.filter((e) => e.parentRevisionId === baseline!.candidateRevisionId);
    return {
      decided: ran.length,
      kept: ran.filter((e) => e.outcome === 'keep').length,
      firstDecided: first.length,
      firstKept: first.filter((e) => e.outcome === 'keep').length,
    };
  });
}

async function main(): Promise<void> {
  const admin = await connectAdmin();
  try {
    console.log(`false keeps: ${STUDIES} studies per rule, ${EXPERIMENTS - 1} no-op candidates each, ${values.branches} branches, σ=${SIGMA}, ${values.slots} slots`);
    for (const rule of ['strict', 'noise-aware'] as const) {
      const total: Tally = { decided: 0, kept: 0, firstDecided: 0, firstKept: 0 };
      const started = performance.now();
      for (let seed = 1; seed <= STUDIES; seed += 1) {
        const tally = await falseKeeps(rule, seed, admin);
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
