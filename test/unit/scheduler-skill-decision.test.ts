// How a skill experiment's runs become its outcome: working runs only, a failed run counts as that many
// fails (never a pass), every run failed is a crash, and the head's pass counts come from its run values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { decideExperiment } from '../../services/controller/src/scheduler/decide-experiment.js';
import type { BranchRow, ExperimentRow, RunRow } from '../../services/controller/src/store/schema.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { SKILL_STUDY_YAML } from '../support/skill-folder.js';

const spec = validateStudySpec(parse(SKILL_STUDY_YAML));
const EVALS = 4;

const run = (repeatIndex: number, passes: number | null, extra: Partial<RunRow> = {}): RunRow => ({
  id: `r${repeatIndex}`, repeatIndex, role: 'working', status: passes === null ? 'crashed' : 'succeeded',
  reason: passes === null ? 'eval faithful: no valid verdict from claude-sonnet-4-6 after 4 tries: verdict "maybe"' : null,
  metrics: passes === null ? { passes: 3, evals: EVALS, pass_rate: 0.75 } : { passes, evals: EVALS, pass_rate: passes / EVALS },
  ...extra,
}) as RunRow;

const experiment = (number: number): ExperimentRow => ({ id: `e${number}`, number, changeKey: number === 0 ? null : `k${number}` }) as ExperimentRow;
const branch = (headValues: number[]): BranchRow => ({ id: 'b', headValues }) as BranchRow;

describe('a skill experiment decided', () => {
  it('scores the baseline on its working runs only: holdout runs decide nothing', () => {
    const decision = decideExperiment({
      spec, experiment: experiment(0), branch: branch([]), noise: null,
      runs: [run(0, 1), run(1, 2), run(2, 0), run(3, 1), run(4, 4, { role: 'holdout' })],
    });
    assert.equal(decision.outcome, 'baseline');
    assert.equal(decision.score, 4 / 16);
    assert.deepEqual(decision.newHeadValues, [0.25, 0.5, 0, 0.25]);
    assert.match(decision.reason, /^baseline pass rate 4\/16 \(25%\) over 4 outputs × 4 evals$/);
  });

  it('counts a failed run as all fails, whatever passes it reported, and says why', () => {
    const decision = decideExperiment({
      spec, experiment: experiment(3), branch: branch([0.25, 0.25, 0.25, 0.25]), noise: null,
      runs: [run(0, 4), run(1, 4), run(2, null), run(3, 4)],
    });
    assert.equal(decision.score, 12 / 16);
    assert.equal(decision.stats?.nCandidate, 16);
    assert.equal(decision.stats?.nHead, 16);
    assert.match(decision.reason, /1 of 4 runs failed and count as fails \(run 3: crashed, eval faithful: no valid verdict/);
  });

  it('is a crash when every run failed, and a timeout when one timed out', () => {
    const crashed = decideExperiment({ spec, experiment: experiment(2), branch: branch([0.5]), noise: null, runs: [run(0, null), run(1, null)] });
    assert.equal(crashed.outcome, 'crash');
    assert.equal(crashed.score, null);
    const timedOut = decideExperiment({
      spec, experiment: experiment(2), branch: branch([0.5]), noise: null, runs: [run(0, null), run(1, null, { status: 'timeout', reason: 'over budget' })],
    });
    assert.equal(timedOut.outcome, 'timeout');
  });

  it('keeps a candidate beyond the binomial noise of the head, and sets its run values as the new head', () => {
    const decision = decideExperiment({
      spec, experiment: experiment(5), branch: branch(Array(8).fill(0.5)), noise: null,
      runs: Array.from({ length: 8 }, (_, i) => run(i, 4)),
    });
    assert.equal(decision.outcome, 'keep');
    assert.deepEqual(decision.newHeadValues, Array(8).fill(1));
    assert.match(decision.reason, /^pass rate 32\/32 \(100%\) vs head 16\/32 \(50%\)/);
  });
});

describe('adaptive repeats of a skill experiment', () => {
  it('runs a candidate better than the head but within the binomial noise again, doubling its outputs', () => {
    const adaptive = validateStudySpec({ ...parse(SKILL_STUDY_YAML), decision: { maxRepeats: 8 } });
    const decision = decideExperiment({
      spec: adaptive, experiment: experiment(4), branch: branch([0.5, 0.5, 0.5, 0.5]), noise: null,
      runs: [run(0, 3), run(1, 3), run(2, 3), run(3, 3)],
    });
    assert.equal(decision.outcome, 'discard', '12/16 against 8/16 is within the noise on its own');
    assert.equal(decision.extend, 4);
    assert.equal(decideExperiment({ spec, experiment: experiment(4), branch: branch([0.5, 0.5, 0.5, 0.5]), noise: null, runs: [run(0, 3), run(1, 3), run(2, 3), run(3, 3)] }).extend, 0, 'off without maxRepeats');
  });
});
