// bench/search, part one: false keeps. Every change the mutator can make is a no-op (constants the script
// never reads), so every keep is a false keep: noise taken for progress. Each study runs through the real
// CLI, controller and agents (the compiled CLI, as users run it), under the strict rule (autoresearch's:
// keep if better) and under the default noise-aware rule, and the bench prints the share of no-op
// candidates each kept. The noise is Gaussian, seeded per study and run, so a run of the bench repeats.
// Two rates: over every decision, and over the decisions made against the baseline itself (each of the
// `--branches` branches starts from it), which are independent comparisons of a no-op with a measured head.
//
//   npm run build && npx tsx bench/search.ts [--studies 3] [--experiments 41] [--branches 8] [--sigma 0.01] [--slots 2]
//       [--rules strict,noise-aware] [--noops 20]
//   rules: strict, noise-aware, noise-aware-m16 and -m32 (adaptive repeats up to 16 or 32, the head alongside,
//   inconclusive changes retried). With few no-ops (--noops 3: 6 moves a head) and one branch, changes are retried.
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
    rules: { type: 'string', default: 'strict,noise-aware' },
    noops: { type: 'string', default: '20' },
  },
});
const STUDIES = Number(values.studies);
const EXPERIMENTS = Number(values.experiments);
const SIGMA = Number(values.sigma);
const NO_OPS = Number(values.noops);
/** The decision block of each rule compared. */
const RULES: Record<string, string> = {
  strict: '{ rule: strict }',
  'noise-aware': '{ rule: noise-aware }',
  'noise-aware-m16': '{ rule: noise-aware, maxRepeats: 16 }',
  'noise-aware-m32': '{ rule: noise-aware, maxRepeats: 32 }',
};

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
decision: ${RULES[rule]}
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

async function falseKeeps(rule: string, seed: number, admin: pg.Client): Promise<Tally> {
  const files = (dir: string) => ({ 'train.js': script(seed, dir), 'study.yaml': spec(rule) });
  return runStudy(admin, { name: `search_${rule.replace(/-/g, '_')}_${seed}`, files, slots: Number(values.slots) }, async ({ store, studyId }) => {
    const experiments = (await store.listExperiments(studyId, { limit: 100000 })).filter((e) => e.number > 0 && e.status === 'decided');
    const ran = experiments.filter((e) => e.outcome === 'keep' || e.outcome === 'discard');
    const baseline = await store.getExperimentByNumber(studyId, 0);
    // Counted per change: a change retried from the same head (noise-aware-m16) is one change, kept if any try was.
    const changes = new Map<string, { kept: boolean; fromBaseline: boolean }>();
    for (const e of ran) {
      const key = `${e.branchId} ${e.parentRevisionId} ${e.changeKey}`;
      const seen = changes.get(key);
      changes.set(key, { kept: (seen?.kept ?? false) || e.outcome === 'keep', fromBaseline: e.parentRevisionId === baseline!.candidateRevisionId });
    }
    const all = [...changes.values()];
    const first = all.filter((c) => c.fromBaseline);
    return {
      decided: all.length,
      kept: all.filter((c) => c.kept).length,
      firstDecided: first.length,
      firstKept: first.filter((c) => c.kept).length,
    };
  });
}

async function main(): Promise<void> {
  const admin = await connectAdmin();
  try {
    console.log(`false keeps: ${STUDIES} studies per rule, ${EXPERIMENTS - 1} no-op candidates each over ${NO_OPS} no-op params, ${values.branches} branches, σ=${SIGMA}, ${values.slots} slots`);
    const rules = values.rules!.split(',');
    for (const rule of rules) if (!RULES[rule]) throw new Error(`unknown rule ${rule}; known: ${Object.keys(RULES).join(', ')}`);
    for (const rule of rules) {
      const total: Tally = { decided: 0, kept: 0, firstDecided: 0, firstKept: 0 };
      const started = performance.now();
      for (let seed = 1; seed <= STUDIES; seed += 1) {
        const tally = await falseKeeps(rule, seed, admin);
        for (const key of Object.keys(total) as (keyof Tally)[]) total[key] += tally[key];
        console.log(`  ${rule.padEnd(15)} seed ${seed}: ${tally.kept} of ${tally.decided} no-op candidates kept; against the baseline ${tally.firstKept} of ${tally.firstDecided}`);
      }
      const seconds = (performance.now() - started) / 1000;
      const rate = (kept: number, of: number) => `${((100 * kept) / Math.max(1, of)).toFixed(1)}% (${kept}/${of})`;
      console.log(`${rule.padEnd(15)} false-keep rate ${rate(total.kept, total.decided)}; against the baseline ${rate(total.firstKept, total.firstDecided)}; ${seconds.toFixed(0)} s`);
    }
  } finally {
    await admin.end();
  }
}

await main();
