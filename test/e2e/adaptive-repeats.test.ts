// Adaptive repeats through the real CLI, controller and agents: a candidate whose real gain is hidden by
// the noise after one run is run again, doubling, with its head alongside, until the gain is beyond the
// noise, and then kept. The
// script's noise is a fixed alternating sequence (one slot, so the runs go in order), which makes every
// step of the decision predictable.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { resultsRows, studyRunFixture } from '../support/study-run.js';

/** val_bpb = 1 - 0.012·GAIN ± 0.01, the sign alternating from run to run across the whole study. */
const script = (counterFile: string) => `const GAIN = 0;
const fs = require('node:fs');
const counter = ${JSON.stringify(counterFile)};
const k = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(k + 1));
const noise = k % 2 === 0 ? 0.01 : -0.01;
console.log('---');
console.log('val_bpb: ' + (1 - 0.012 * GAIN + noise).toFixed(6));
`;

const SPEC = `name: adaptive
flavor: training
workspace:
  mutable: [train.js]
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 20, graceSeconds: 2 }
repeats: 1
baselineRepeats: 3
decision: { rule: noise-aware, confidence: 0.95, maxRepeats: 8 }
mutator:
  kind: params
  params:
    - { name: GAIN, file: train.js, choices: [0, 1] }
stop: { maxExperiments: 2 }
`;

describe('adaptive repeats', () => {
  const fixture = studyRunFixture('adaptive_repeats');

  it('runs a promising candidate again, 1 → 2 → 4 → 8 runs, and keeps it once the gain is beyond the noise', { timeout: 120_000 }, async () => {
    const dir = await makeStudyFolder({ 'train.js': script(join(fixture.scratch, 'counter')), 'study.yaml': SPEC });
    try {
      const result = await runCli(['run', dir, '--slots', '1', '--port', '0', '--out', join(fixture.scratch, 'out')], { DATABASE_URL: fixture.database.url });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      // 1 → 2, 2 → 4, 4 → 8: each time better than the head but within the noise.
      const extensions = [...result.stdout.matchAll(/↻ #1 promising, not yet beyond the noise: (\d+) → (\d+) runs/g)].map((m) => `${m[1]}→${m[2]}`);
      assert.deepEqual(extensions, ['1→2', '2→4', '4→8'], result.stdout);
      // The head runs beside the extensions, up to the candidate's count: none at 1 → 2 (it has 3), 1 at 2 → 4, 4 at 4 → 8.
      assert.equal(Number(await readFile(join(fixture.scratch, 'counter'), 'utf8')), 3 + 8 + 5, 'the baseline ran 3 times, the candidate 8 and the head 5 more');

      const rows = await resultsRows(join(fixture.scratch, 'out'));
      assert.deepEqual(rows.map((row) => row[3]), ['keep', 'keep']);
      assert.equal(rows[1]![1], '0.988000');
      const changelog = await readFile(join(fixture.scratch, 'out', 'changelog.md'), 'utf8');
      // By hand: the head's 8 runs (the baseline's 3 and 5 reference runs) and the candidate's 8 alternate ±0.01,
      // so Δ is the true gain, 0.012, and each side's σ is 0.0107 (7 dof); the threshold is
      // t(0.95, 14)·σ·√(1/8 + 1/8) = 0.0094. Against the baseline's 3 runs alone it was 0.014.
      assert.match(changelog, /\*\*Result:\*\* Δ=-0\.0120 \(better\), σ=0\.0107, n=8\/8, threshold=0\.0094, p=0\.021 → keep: .*; pooled with 5 reference runs of the head/);
      assert.match(changelog, /\*\*Repeats:\*\* 8 runs: promising but not yet beyond the noise after 1, it was run again \(adaptive repeats\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
