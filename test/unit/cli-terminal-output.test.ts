import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseOutputMode } from '../../services/cli/src/live/output-mode.js';
import { painter } from '../../services/cli/src/view/ansi.js';
import { decisionLine } from '../../services/cli/src/view/decision-line.js';
import { finalSummaryLines } from '../../services/cli/src/view/final-summary.js';
import { formatDuration } from '../../services/cli/src/view/format-duration.js';
import { noticeOf } from '../../services/cli/src/view/notice-text.js';
import { tallyExperiments, type ExperimentLine, type StudySnapshot } from '../../services/cli/src/view/study-snapshot.js';

const line = (number: number, outcome: ExperimentLine['outcome'], score: number | null, kind: ExperimentLine['kind'] = 'candidate'): ExperimentLine =>
  ({ number, kind, status: outcome === null ? 'pending' : 'decided', outcome, score, description: `change ${number}`, reason: 'why', repeats: 1 });

describe('chooseOutputMode', () => {
  it('draws the panel on a terminal and lines anywhere else', () => {
    assert.deepEqual(chooseOutputMode({ isTTY: true, noColor: false }), { panel: true, colour: true });
    assert.deepEqual(chooseOutputMode({ isTTY: false, noColor: false }), { panel: false, colour: false });
  });

  it('follows --plain, --panel and NO_COLOR', () => {
    assert.deepEqual(chooseOutputMode({ isTTY: true, noColor: false, plain: true }), { panel: false, colour: true });
    assert.deepEqual(chooseOutputMode({ isTTY: false, noColor: false, panel: true }), { panel: true, colour: false });
    assert.deepEqual(chooseOutputMode({ isTTY: true, noColor: true }), { panel: true, colour: false });
  });
});

describe('decisionLine', () => {
  const context = { metric: 'val_bpb', shown: (s: number) => s.toFixed(6), paint: painter(false) };

  it('keeps the shape of the line-per-event view that scripts and tests read', () => {
    assert.equal(
      decisionLine({ number: 1, outcome: 'keep', score: 1.02, description: 'WIDTH 16 → 32', reason: 'better by 0.03' }, 1.02, context),
      '#1    keep     val_bpb 1.020000   best 1.020000    WIDTH 16 → 32 · better by 0.03',
    );
    assert.equal(
      decisionLine({ number: 0, outcome: 'baseline', score: 1.05, description: 'baseline', reason: '3 runs' }, null, context),
      '#0    baseline val_bpb 1.050000                    3 runs',
    );
    assert.equal(
      decisionLine({ number: 12, outcome: 'crash', score: null, description: 'WIDTH 16 → 8', reason: 'exit 3' }, 1, context),
      '#12   crash    val_bpb n/a        best 1.000000    WIDTH 16 → 8 · exit 3',
    );
    assert.equal(
      decisionLine({ number: 3, outcome: 'adopted', score: 0.95, description: "branch 1 adopts branch 0's head (#1)", reason: 'adopted: better' }, 0.95, context),
      "#3    adopted  branch 1 adopts branch 0's head (#1) · adopted: better",
    );
  });

  it('colours the outcome when colour is on', () => {
    const painted = decisionLine({ number: 1, outcome: 'keep', score: 1, description: 'd', reason: 'r' }, 1, { ...context, paint: painter(true) });
    assert.match(painted, /\u001b\[32mkeep {4}\u001b\[0m/);
  });
});

describe('tallyExperiments', () => {
  it('counts as the scheduler does, with the running best after each decision', () => {
    const tally = tallyExperiments(
      [line(3, 'keep', 0.9), line(0, 'baseline', 1.0, 'baseline'), line(1, 'discard', 0.5), line(2, 'remeasure', 0.1, 'remeasure'), line(4, 'adopted', 0.9, 'adopt'), line(5, null, null)],
      'minimize',
    );
    assert.deepEqual(tally, { decided: 4, pending: 1, bestScore: 0.9, bestNumber: 3, bestSeries: [1.0, 1.0, 1.0, 0.9] });
  });

  it('starts the series at the first score and follows the direction', () => {
    const tally = tallyExperiments([line(0, 'baseline', null, 'baseline'), line(1, 'keep', 0.4), line(2, 'keep', 0.3), line(3, 'keep', 0.7)], 'maximize');
    assert.deepEqual(tally.bestSeries, [0.4, 0.4, 0.7]);
  });
});

describe('the lines around the panel', () => {
  it('words the events the panel tells of, and ignores the rest', () => {
    assert.equal(noticeOf('experiment.extended', { number: 4, from: 1, to: 3 }), '↻ #4 promising, not yet beyond the noise: 1 → 3 runs');
    assert.equal(noticeOf('experiment.confirming', { number: 2, runs: 1 }), '✓? #2 passed; 1 fresh run must hold the gain');
    assert.equal(noticeOf('study.stopping', { reason: 'stopped by user' }), 'stopping: stopped by user');
    assert.equal(noticeOf('run.finished', { runId: 'r' }), null);
  });

  it('ends with the two lines `run` ends with', () => {
    const snapshot = {
      name: 's', status: 'completed', reason: 'reached maxExperiments (3)', spec: { flavor: 'skill', objective: { metric: 'pass_rate', direction: 'maximize' } },
      startedAt: 0, stoppedAt: 1, experiments: [line(0, 'baseline', 0.5, 'baseline'), line(1, 'keep', 0.75)], runsInFlight: [], slots: null, notices: [],
    } as unknown as StudySnapshot;
    assert.deepEqual(finalSummaryLines(snapshot), ['completed: reached maxExperiments (3)', '2 experiments decided; best pass_rate 75.0% (experiment #1)']);
  });

  it('writes durations short', () => {
    assert.deepEqual([0, 59_999, 60_000, 3_599_000, 3_600_000, 90_000_000].map(formatDuration), ['0s', '59s', '1m00s', '59m59s', '1h00m', '1d01h']);
  });
});
