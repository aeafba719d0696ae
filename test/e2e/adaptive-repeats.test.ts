// Adaptive repeats through the real CLI, controller and agents: a candidate whose real gain is hidden by
// the noise after one run is run again, doubling, until the gain is beyond the noise, and then kept. The
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
      assert.equal(Number(await readFile(join(fixture.scratch, 'counter'), 'utf8')), 3 + 8, 'the baseline ran 3 times and the candidate 8');

      const rows = await resultsRows(join(fixture.scratch, 'out'));
      assert.deepEqual(rows.map((row) => row[3]), ['keep', 'keep']);
      assert.equal(rows[1]![1], '0.988000');
      const changelog = await readFile(join(fixture.scratch, 'out', 'changelog.md'), 'utf8');
      // By hand: the 8 runs' σ (0.0107, 7 dof) pooled with the baseline's (0.0115, 2 dof) is 0.011; the
      // threshold is t(0.95, 9)·σ·√(1/8 + 1/3) = 0.014, less than the gain of 0.0153.
      assert.match(changelog, /\*\*Result:\*\* Δ=-0\.015 \(better\), σ=0\.011, n=8\/3, threshold=0\.014, p=0\.034 → keep/);
      assert.match(changelog, /\*\*Repeats:\*\* 8 runs: promising but not yet beyond the noise after 1, it was run again \(adaptive repeats\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
