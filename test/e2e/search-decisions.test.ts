// Confirmation, λ candidates per head, retries of inconclusive changes and adoption between branches,
// through the real CLI, controller and agents. Each script's value is a known function of its constants plus a scripted noise: the k-th run of
// a configuration (counted with files created exclusively, so concurrent runs agree) draws the k-th term.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { ExperimentRow } from '../../services/controller/src/store/schema.js';
import { runCli } from '../support/cli.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { resultsRows, studyRunFixture } from '../support/study-run.js';

/**
 * A train.js with these constants that prints `loss: <value>`, where value is a JS expression of them and k.
 * The counters' folder comes from the environment, so the script, and with it every revision id and every
 * draw of the params mutator, is the same from one test run to the next.
 */
const script = (constants: string[], value: string) => `${constants.map((name) => `const ${name} = 0;`).join('\n')}
const fs = require('node:fs');
const key = [${constants.join(', ')}].join('-');
let k = 0;
for (;; k += 1) {
  try { fs.writeFileSync(process.env.COUNTERS + '/run-' + key + '-' + k, '', { flag: 'wx' }); break; } catch {}
}
console.log('---');
console.log('loss: ' + (${value}).toFixed(6));
`;

const spec = (params: string[], counters: string, extra: string) => `name: search-decisions
flavor: training
workspace:
  mutable: [train.js]
objective: { metric: loss, direction: minimize }
run: { command: node train.js, budgetSeconds: 20, graceSeconds: 2, env: { COUNTERS: ${JSON.stringify(counters)} } }
baselineRepeats: 3
mutator:
  kind: params
  params:
${params.map((name) => `    - { name: ${name}, file: train.js, choices: [0, 1] }`).join('\n')}
${extra}
`;

describe('search decisions', () => {
  const fixture = studyRunFixture('search_decisions');

  async function run(name: string, files: { script: string; spec: string }, slots: number) {
    const out = join(fixture.scratch, `${name}-out`);
    const dir = await makeStudyFolder({ 'train.js': files.script, 'study.yaml': files.spec });
    try {
      const result = await runCli(['run', dir, '--slots', String(slots), '--port', '0', '--out', out], { DATABASE_URL: fixture.database.url });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      return { stdout: result.stdout, out, rows: await resultsRows(out), changelog: await readFile(join(out, 'changelog.md'), 'utf8'), dir };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('confirms a real gain with fresh runs, and reverts a lucky one whose fresh runs do not hold it', { timeout: 120_000 }, async () => {
    const counters = await makeStudyFolder({});
    // GAIN is real (-0.02). LUCKY is not: its first two runs draw -0.01, its fresh ones +0.008.
    const value = '1 - 0.02 * GAIN + [0, 0.002, -0.002, 0.001][k % 4] + (LUCKY ? (k < 2 ? -0.01 : 0.008) : 0)';
    const { stdout, rows, changelog } = await run('confirm', {
      script: script(['LUCKY', 'GAIN'], value),
      spec: spec(['LUCKY', 'GAIN'], counters, 'repeats: 2\ndecision: { rule: noise-aware, confirmRuns: 2 }\nstop: { maxExperiments: 3 }'),
    }, 1);
    await rm(counters, { recursive: true, force: true });

    const byChange = new Map(rows.slice(1).map((row) => [row[4]!.startsWith('LUCKY') ? 'lucky' : 'gain', row]));
    assert.equal(byChange.get('gain')?.[3], 'keep', rows.join('\n'));
    assert.match(byChange.get('gain')![4]!, /\(confirmed by 2 fresh runs \(their mean 0\.9\d+\): Δ=-0\.0\d+ \(better\).*n=4\/\d.*→ keep/);
    assert.equal(byChange.get('lucky')?.[3], 'discard');
    assert.match(byChange.get('lucky')![4]!, /\(reverted: the gain did not hold over 2 fresh runs .*so the branch stays on its head: .*→ discard.*its first runs alone had passed: .*n=2\/\d.*→ keep/);
    // The changelog says both, and the terminal said that each passed and ran again before its branch built on it.
    assert.match(changelog, /## Experiment \d — reverted[\s\S]*?\*\*Confirmation:\*\* 2 fresh runs, mean [\d.]+ \(first runs [\d.]+\); the gain did not hold: reverted/);
    assert.match(changelog, /## Experiment \d — keep[\s\S]*?\*\*Confirmation:\*\* 2 fresh runs, mean [\d.]+ \(first runs [\d.]+\); the gain held: confirmed/);
    assert.equal([...stdout.matchAll(/✓\? #\d passed; 2 fresh runs must hold the gain/g)].length, 2, stdout);
    // The head moved once, to the confirmed gain with all four of its runs.
    assert.equal(rows.filter((row) => row[3] === 'keep').length, 2);
  });

  it('decides λ candidates from one head together and keeps only the best; the next ones start from it', { timeout: 120_000 }, async () => {
    const counters = await makeStudyFolder({});
    const { rows, dir } = await run('lambda', {
      script: script(['A', 'B'], '1 - 0.02 * A - 0.03 * B + [0, 0.002, -0.002][k % 3]'),
      spec: spec(['A', 'B'], counters, 'repeats: 1\nsearch: { candidatesPerHead: 2 }\nstop: { maxExperiments: 5 }'),
    }, 1); // one slot: each generation's first candidate has finished before its second is made, and must wait for it
    await rm(counters, { recursive: true, force: true });

    const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
    try {
      const study = (await store.findStudyBySourceDir(dir))!;
      const experiments = (await store.listExperiments(study.id, { limit: 100 })).sort((a, b) => a.number - b.number);
      assert.equal(experiments.length, 5, rows.join('\n'));
      const [first, second, third, fourth] = experiments.slice(1).map((e) => e!) as [ExperimentRow, ExperimentRow, ExperimentRow, ExperimentRow];
      // Generation 1: A (-0.02) and B (-0.03) both pass; only B, the better, is kept.
      const winner = [first, second].find((e) => e.outcome === 'keep')!;
      const loser = [first, second].find((e) => e !== winner)!;
      assert.match(winner.description, /^B /);
      assert.equal(loser.outcome, 'discard');
      assert.match(loser.reason!, new RegExp(`^passed the rule, but #${winner.number} from the same head did better \\(0\\.980000 against 0\\.970000\\)`));
      // Generation 2 was made only once generation 1 was decided, from its winner, and A on top of B wins.
      for (const next of [third, fourth]) {
        assert.equal(next.parentRevisionId, winner.candidateRevisionId);
        assert.ok(next.createdAt.getTime() >= Math.max(first.decidedAt!.getTime(), second.decidedAt!.getTime()), 'made after its generation was decided');
      }
      assert.deepEqual([third, fourth].map((e) => e.outcome).sort(), ['discard', 'keep']);
      assert.equal([third, fourth].find((e) => e.outcome === 'keep')!.score, 0.95);
    } finally {
      await store.close();
    }
  });

  it('retries a change discarded within the noise, pooling its runs, and runs the head again beside its extension', { timeout: 120_000 }, async () => {
    const counters = await makeStudyFolder({});
    // X is a real gain (-0.05) whose first run draws badly: 1.005 against the baseline's 1.00, 1.02, 0.98.
    const { rows, dir, changelog } = await run('retry', {
      script: script(['X'], 'X ? [1.005, 0.95, 0.95, 0.95][k] : [1.0, 1.02, 0.98, 1.0][k]'),
      spec: spec(['X'], counters, 'repeats: 1\ndecision: { rule: noise-aware, maxRepeats: 4 }\nstop: { maxExperiments: 3 }'),
    }, 1);
    await rm(counters, { recursive: true, force: true });

    // #1: worse-looking but within the noise: discarded, and the one move left is tried again rather than the search ending.
    assert.deepEqual(rows.map((row) => [row[3], row[4]]), [['keep', 'baseline'], ['discard', 'X 0 -> 1'], ['keep', 'X 0 -> 1']], rows.join('\n'));
    assert.equal(rows[2]![1], '0.963750', 'its score is the mean of all 4 of its runs');
    // #2: the same change again, one run (0.95), promising; extended by 2 runs, and the head by 1 reference run.
    assert.match(changelog, /## Experiment 1 — discard[\s\S]*?Δ=\+0\.005 \(worse\).*n=1\/3.*→ discard: worse than the head/);
    assert.match(changelog, /## Experiment 2 — keep\n\n\*\*Score:\*\* loss 0\.963750 \(mean of 4 runs: 1\.005000, 0\.950000, 0\.950000, 0\.950000\)/);
    assert.match(changelog, /## Experiment 2 — keep[\s\S]*?Δ=-0\.036\d* \(better\).*n=4\/4.*→ keep: .*; pooled with 1 run of its earlier try #1 \(the same change from this head\) and 1 reference run of the head/);
    assert.match(changelog, /\*\*Retry:\*\* the same change as #1, from the same head, discarded there within the noise; its 1 run there and 3 here are judged together/);

    const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
    try {
      const study = (await store.findStudyBySourceDir(dir))!;
      const [baseline, first, retry] = (await store.listExperiments(study.id, { limit: 100 })).sort((a, b) => a.number - b.number) as [ExperimentRow, ExperimentRow, ExperimentRow];
      assert.equal(retry.candidateRevisionId, first.candidateRevisionId, 'the same change is the same revision');
      const runs = await store.listRuns(retry.id);
      assert.deepEqual(runs.map((r) => [r.role, r.revisionId === baseline.candidateRevisionId ? 'head' : 'candidate']).sort(),
        [['reference', 'head'], ['working', 'candidate'], ['working', 'candidate'], ['working', 'candidate']]);
      const [branch] = await store.listBranches(study.id);
      assert.deepEqual(branch!.headValues, [1.005, 0.95, 0.95, 0.95], 'the new head carries every run of the change');
    } finally {
      await store.close();
    }
  });

  it('runs the head beside a retry too, so a head kept on one run is measured again', { timeout: 120_000 }, async () => {
    const counters = await makeStudyFolder({});
    // X=1 is kept on one run (0.90); from it, X=2 (a real gain) first draws 0.905 and X=0 is worse beyond the noise.
    const { rows, dir } = await run('retry-head', {
      script: script(['X'], '[[1.0, 1.02, 0.98, 1.0], [0.90, 0.95, 0.93, 0.93], [0.905, 0.85, 0.85, 0.85]][X][k]'),
      spec: spec(['X'], counters, 'repeats: 1\ndecision: { rule: noise-aware, maxRepeats: 4 }\nstop: { maxExperiments: 5 }')
        .replace('choices: [0, 1]', 'choices: [0, 1, 2]'),
    }, 1);
    await rm(counters, { recursive: true, force: true });

    const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
    try {
      const study = (await store.findStudyBySourceDir(dir))!;
      const experiments = (await store.listExperiments(study.id, { limit: 100 })).sort((a, b) => a.number - b.number);
      assert.deepEqual(experiments.map((e) => [e.description, e.outcome]).slice(0, 2), [['baseline', 'baseline'], ['X 0 -> 1', 'keep']], rows.join('\n'));
      const tries = experiments.filter((e) => e.description === 'X 1 -> 2');
      assert.deepEqual(tries.map((e) => e.outcome), ['discard', 'keep'], rows.join('\n'));
      const runs = await store.listRuns(tries[1]!.id);
      const head = experiments[1]!.candidateRevisionId;
      // One reference run when the retry was made (the head had 1 run, the retry brings the change to 2), two more with its extension.
      assert.deepEqual(runs.sort((a, b) => a.repeatIndex - b.repeatIndex).map((r) => r.role), ['working', 'reference', 'working', 'working', 'reference', 'reference']);
      assert.deepEqual(runs.filter((r) => r.role === 'reference').map((r) => r.revisionId), [head, head, head]);
      assert.match(tries[1]!.reason!, /n=4\/4.*→ keep: .*pooled with 1 run of its earlier try #\d \(the same change from this head\) and 3 reference runs of the head/);
    } finally {
      await store.close();
    }
  });

  it('lets a branch that fell behind by more than the noise adopt the best head, and records it', { timeout: 120_000 }, async () => {
    const counters = await makeStudyFolder({});
    // A is a real gain and B a real loss, each far beyond the noise; the two branches try different ones first.
    const { rows, changelog, stdout } = await run('adopt', {
      script: script(['A', 'B'], '1 - 0.05 * A + 0.05 * B + [0, 0.002, -0.002][k % 3]'),
      spec: spec(['A', 'B'], counters, 'repeats: 1\nsearch: { branches: 2, adoptEvery: 2 }\nstop: { maxExperiments: 4 }'),
    }, 1);
    await rm(counters, { recursive: true, force: true });

    // #1 and #2: one branch each, from the baseline; then the round: the branch that tried B adopts A's head.
    assert.deepEqual(rows.map((row) => row[3]), ['keep', 'keep', 'discard', 'keep', rows[4]![3]], rows.join('\n'));
    assert.match(rows[1]![4]!, /^A 0 -> 1/);
    assert.match(rows[2]![4]!, /^B 0 -> 1/);
    assert.equal(rows[3]![0], rows[1]![0], 'the adoption row\'s commit is the adopted head');
    assert.equal(rows[3]![1], '0.950000');
    assert.match(rows[3]![4]!, /^branch 1 adopts branch 0's head \(#1\) \(adopted: branch 0's head \(#1\) is better than this branch's head: Δ=-0\.0500 \(better\), σ=0\.0020, n=1\/3, threshold=0\.0067, p=[\d.]+ → adopt: /);
    assert.match(changelog, /## Experiment 3 — adopted\n\n\*\*Score:\*\* loss 0\.950000\n\*\*Change:\*\* branch 1 adopts branch 0's head \(#1\): its head becomes that revision[\s\S]*?```diff\n[\s\S]*?-const A = 0;\n\+const A = 1;/);
    assert.match(stdout, /#3 +adopted +branch 1 adopts branch 0's head \(#1\)/);
    // Experiment 4, the last one, starts from A=1 on either branch: no branch is left on the baseline.
    assert.match(rows[4]![4]!, /^(A 1 -> 0|B 0 -> 1)/);
  });
});
