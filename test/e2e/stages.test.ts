// Screen, then promote, through the real CLI, controller and agents: a two-stage study whose script's value
// depends on the stage it is told (AUTORESEARCH_STAGE). The baseline runs both stages; a bad candidate is
// screened out after its one screen run; a good one is promoted, runs the full stage, and is kept on it.
// And a screen whose results do not predict the full stage's is skipped, but for one candidate in 1/audit.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli } from '../support/cli.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { resultsRows, studyRunFixture } from '../support/study-run.js';

/**
 * loss = 2 at the screen and 1 at the full stage, lower by 0.1 per unit of GAIN, plus a small noise that
 * alternates per stage; each run appends what it was told (stage, budget, GAIN) to a file.
 */
const script = (seen: string) => `const GAIN = 0;
const fs = require('node:fs');
const stage = process.env.AUTORESEARCH_STAGE;
const budget = process.env.AUTORESEARCH_BUDGET_SECONDS;
const counter = ${JSON.stringify(seen)} + '.' + stage;
const k = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(k + 1));
fs.appendFileSync(${JSON.stringify(seen)}, [stage, budget, GAIN].join(' ') + '\\n');
const base = stage === 'screen' ? 2 : 1;
console.log('---');
console.log('loss: ' + (base - 0.1 * GAIN + [0, 0.002, -0.002][k % 3]).toFixed(6));
`;

const SPEC = `name: stages
flavor: training
workspace:
  mutable: [train.js]
objective: { metric: loss, direction: minimize }
run: { command: node train.js, budgetSeconds: 99, graceSeconds: 2 }
baselineRepeats: 3
stages:
  - { name: screen, budgetSeconds: 7, repeats: 1, promote: { calibration: 0 } }
  - { name: full, budgetSeconds: 20, repeats: 2 }
mutator:
  kind: params
  seed: 1
  params:
    - { name: GAIN, file: train.js, choices: [-1, 0, 1] }
stop: { maxExperiments: 3 }
`;

describe('screen, then promote', () => {
  const fixture = studyRunFixture('stages');

  it('screens out a bad candidate after its screen run, and promotes and keeps a good one on the full stage', { timeout: 120_000 }, async () => {
    const seen = join(fixture.scratch, 'seen');
    const out = join(fixture.scratch, 'out');
    const dir = await makeStudyFolder({ 'train.js': script(seen), 'study.yaml': SPEC });
    try {
      const result = await runCli(['run', dir, '--slots', '1', '--port', '0', '--out', out], { DATABASE_URL: fixture.database.url });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);

      const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
      try {
        const study = (await store.findStudyBySourceDir(dir))!;
        const experiments = (await store.listExperiments(study.id, { limit: 100 })).sort((a, b) => a.number - b.number);
        assert.equal(experiments.length, 3);
        const stagesOfRuns = async (experimentId: string) => (await store.listRuns(experimentId)).map((r) => r.stage).sort();

        // The baseline ran both stages, 3 runs each, and the head holds its values at both.
        const [baseline, ...candidates] = experiments;
        assert.equal(baseline!.outcome, 'baseline');
        assert.deepEqual(await stagesOfRuns(baseline!.id), [0, 0, 0, 1, 1, 1]);
        assert.equal(baseline!.score, 1);

        const screened = candidates.find((e) => e.outcome === 'screened-out');
        const kept = candidates.find((e) => e.outcome === 'keep');
        assert.ok(screened && kept, JSON.stringify(candidates.map((e) => [e.number, e.description, e.outcome, e.reason])));
        // Screened out: one run, at the screen, nothing at the full stage; its reason names the stage and the rule.
        assert.deepEqual(await stagesOfRuns(screened.id), [0]);
        assert.equal(screened.stageReached, 0);
        assert.equal(screened.score, null);
        assert.match(screened.reason!, /^screen: 2\.\d{4} is worse than the head's (1\.9|2\.0)\d{3} by more than the noise \(0\.\d+\): not promoted$/);
        // Promoted and kept: its screen run, then the full stage's 2 runs, and it was decided on those 2 alone.
        assert.deepEqual(await stagesOfRuns(kept.id), [0, 1, 1]);
        assert.equal(kept.stageReached, 1);
        assert.match(kept.description, /^GAIN .* 1$/);
        assert.equal(kept.stats?.nCandidate, 2);
        assert.ok(Math.abs(kept.score! - 0.9) < 0.003, String(kept.score));
        assert.equal(kept.stageVerdicts.length, 1);
        assert.match(kept.stageVerdicts[0]!.summary, /^screen: 1\.\d{4} is better than the head's 2\.\d{4}: promoted to full$/);
        const [branch] = await store.listBranches(study.id);
        assert.equal(branch!.headExperimentId, kept.id);
        assert.deepEqual(Object.keys(branch!.headStageValues).sort(), ['0', '1']);
        assert.equal(branch!.headStageValues['1']!.length, 2);
      } finally {
        await store.close();
      }

      // Every run was told its stage and that stage's budget.
      const told = (await readFile(seen, 'utf8')).trim().split('\n').map((line) => line.split(' '));
      assert.ok(told.every(([stage, budget]) => (stage === 'screen' && budget === '7') || (stage === 'full' && budget === '20')), told.join('\n'));
      assert.equal(told.filter(([stage]) => stage === 'screen').length, 3 + 2);
      assert.equal(told.filter(([stage]) => stage === 'full').length, 3 + 2);

      // The terminal, results.tsv and the changelog say which stage each candidate reached, and why it stopped.
      assert.match(result.stdout, /⇡ #\d promoted to full: 2 runs there \(screen: .*promoted to full\)/);
      assert.match(result.stdout, /#\d +screened-out loss n\/a .* screen: .* not promoted/);
      const rows = await resultsRows(out);
      const screenedRow = rows.find((row) => row[4]!.includes('screened-out'))!;
      assert.equal(screenedRow[3], 'discard');
      assert.match(screenedRow[4]!, /\(screened-out: screen: .*not promoted\) \[stage: screen\]$/);
      assert.match(rows.find((row) => row[3] === 'keep' && row[4]!.startsWith('GAIN'))![4]!, /\[stage: full\]$/);
      const changelog = await readFile(join(out, 'changelog.md'), 'utf8');
      assert.match(changelog, /## Experiment \d — screened-out[\s\S]*?\*\*Stages:\*\* reached screen \(1 of 2\)/);
      assert.match(changelog, /## Experiment \d — keep[\s\S]*?\*\*Score:\*\* loss 0\.9\d+ \(mean of 2 runs[\s\S]*?\*\*Stages:\*\* reached full \(2 of 2\); screen: .*promoted to full/);
      assert.match(changelog, /## Experiment 0 — baseline[\s\S]*?\*\*Stages:\*\* every stage measured \(screen, full\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('skips a screen whose results have not predicted the full stage, and still screens one candidate in 1/audit', { timeout: 120_000 }, async () => {
    const counters = join(fixture.scratch, 'skip-counters');
    // The screen alternates 2.0, 2.1 by run; the full stage steps 1.0, 1.0, 1.05, 1.05, …: they do not correlate.
    const train = `const A = 0;\nconst B = 0;\nconst C = 0;
const fs = require('node:fs');
const stage = process.env.AUTORESEARCH_STAGE;
const counter = ${JSON.stringify(counters)} + '.' + stage;
const k = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(k + 1));
console.log('---');
console.log('loss: ' + (stage === 'screen' ? 2 + 0.1 * (k % 2) : 1 + 0.05 * (Math.floor(k / 2) % 2)).toFixed(6));
`;
    const spec = SPEC
      .replace('promote: { calibration: 0 }', 'promote: { calibration: 3, audit: 0.5 }')
      .replace('baselineRepeats: 3', 'baselineRepeats: 2')
      .replace('{ name: full, budgetSeconds: 20, repeats: 2 }', '{ name: full, budgetSeconds: 20, repeats: 1 }')
      .replace('    - { name: GAIN, file: train.js, choices: [-1, 0, 1] }', ['A', 'B', 'C'].map((n) => `    - { name: ${n}, file: train.js, choices: [-1, 0, 1] }`).join('\n'))
      .replace('maxExperiments: 3', 'maxExperiments: 7');
    const out = join(fixture.scratch, 'skip-out');
    const dir = await makeStudyFolder({ 'train.js': train, 'study.yaml': spec });
    try {
      const result = await runCli(['run', dir, '--slots', '1', '--port', '0', '--out', out], { DATABASE_URL: fixture.database.url });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
      try {
        const study = (await store.findStudyBySourceDir(dir))!;
        const candidates = (await store.listExperiments(study.id, { limit: 100 })).filter((e) => e.number > 0).sort((a, b) => a.number - b.number);
        const stages = await Promise.all(candidates.map(async (e) => (await store.listRuns(e.id)).map((r) => r.stage).sort().join('')));
        // Three calibrate (both stages), then the screen is distrusted: one skips it, the next is screened, and so on.
        assert.deepEqual(stages, ['01', '01', '01', '1', '01', '1'], JSON.stringify(candidates.map((e) => [e.number, e.outcome, e.reason])));
        const skipped = candidates[3]!;
        assert.equal(skipped.stageVerdicts[0]?.skipped, true);
        assert.match(skipped.stageVerdicts[0]!.summary, /^screen skipped: screen's results have not predicted full's beyond chance \(r=[-\d.]+ over the last 3 candidates that ran both\), so it would promote this candidate unjudged; 1 candidate in 2 is still screened/);
        assert.match(candidates[4]!.stageVerdicts[0]!.summary, /^screen: 2\.\d+, not judged \(screen's results have not predicted full's/);
      } finally {
        await store.close();
      }
      const changelog = await readFile(join(out, 'changelog.md'), 'utf8');
      assert.match(changelog, /## Experiment 4 — \w+[\s\S]*?\*\*Stages:\*\* reached full \(2 of 2\); screen skipped: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
