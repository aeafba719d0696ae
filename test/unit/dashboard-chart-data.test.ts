// The study page's data, pure: chart series with running bests per branch, tail merges of live updates,
// the progress count, and the table's filter and sort.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildChartSeries } from '../../services/dashboard/src/study/chart-series.js';
import { appendPage, emptyColumns, replaceTail, tailCursor, type PointColumns } from '../../services/dashboard/src/study/point-columns.js';
import { summarize } from '../../services/dashboard/src/study/progress.js';
import { statusCounts, tableRows } from '../../services/dashboard/src/study/table-view.js';

function columnsOf(rows: [branch: number, outcome: string | null, score: number | null][], from = 0): PointColumns {
  return {
    number: rows.map((_, i) => from + i),
    branch: rows.map((r) => r[0]),
    outcome: rows.map((r) => r[1]),
    score: rows.map((r) => r[2]),
    decidedAt: rows.map((r, i) => (r[1] === null ? null : 1000 + from + i)),
    description: rows.map((_, i) => `change ${from + i}`),
  };
}

const STUDY = columnsOf([
  [0, 'baseline', 2.0],
  [0, 'discard', 2.2],
  [1, 'keep', 1.8],
  [0, 'crash', null],
  [0, 'keep', 1.9],
  [1, 'discard', 1.85],
  [0, null, null],
]);

describe('the score chart series', () => {
  it('puts each experiment in its outcome series, unscored ones at the worst score', () => {
    const series = buildChartSeries(STUDY, 'minimize');
    assert.deepEqual(series.x, [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(series.outcomes.map((s) => s.outcome), ['baseline', 'keep', 'discard', 'crash']);
    assert.deepEqual(series.outcomes.find((s) => s.outcome === 'keep')!.values, [null, null, 1.8, null, 1.9, null, null]);
    assert.deepEqual(series.outcomes.find((s) => s.outcome === 'crash')!.values, [null, null, null, 2.2, null, null, null]);
    assert.equal(series.unscoredY, 2.2);
  });

  it('draws a running best per branch from the shared baseline, carried to the newest experiment', () => {
    const series = buildChartSeries(STUDY, 'minimize');
    assert.deepEqual(series.bests.map((b) => b.branch), [0, 1]);
    assert.deepEqual(series.bests[0]!.values, [2.0, 2.0, 2.0, 2.0, 1.9, 1.9, 1.9]);
    assert.deepEqual(series.bests[1]!.values, [2.0, 2.0, 1.8, 1.8, 1.8, 1.8, 1.8]);
    const maximized = buildChartSeries(STUDY, 'maximize');
    assert.deepEqual(maximized.bests[0]!.values, [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], 'a lower keep is not a better best when maximizing');
  });
});

describe('live updates of the columns', () => {
  it('refetches from the first pending experiment and replaces the tail', () => {
    const columns = emptyColumns();
    appendPage(columns, STUDY);
    assert.equal(tailCursor(columns), 5, 'everything before #6 is decided');
    replaceTail(columns, 5, columnsOf([[0, 'keep', 1.7], [1, null, null]], 6));
    assert.deepEqual(columns.number, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(columns.outcome.slice(5), ['discard', 'keep', null]);
    assert.equal(tailCursor(columns), 6);
    replaceTail(columns, 6, columnsOf([[1, 'discard', 1.75]], 7));
    assert.equal(tailCursor(columns), 7, 'nothing pending: the next refetch asks for what follows the last');
  });
});

describe('progress and the experiment table', () => {
  it('counts like the controller: adoptions are not experiments, re-measurements neither keep nor miss', () => {
    const columns = columnsOf([[0, 'baseline', 2], [0, 'discard', 2.1], [0, 'adopted', 1.9], [0, 'remeasure', 2.05], [0, 'keep', 1.95], [0, 'crash', null], [0, null, null]]);
    const progress = summarize(columns, 'minimize');
    assert.deepEqual(
      { experiments: progress.experiments, decided: progress.decided, pending: progress.pending, best: progress.bestScore, bestNumber: progress.bestNumber, since: progress.sinceLastKeep },
      { experiments: 6, decided: 5, pending: 1, best: 1.95, bestNumber: 4, since: 1 },
    );
  });

  it('filters by status and sorts by any column, missing values last', () => {
    assert.deepEqual(tableRows(STUDY, { status: 'all', sort: 'number', descending: true }), [6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(tableRows(STUDY, { status: 'all', sort: 'score', descending: false }), [2, 5, 4, 0, 1, 3, 6]);
    assert.deepEqual(tableRows(STUDY, { status: 'all', sort: 'score', descending: true }), [1, 0, 4, 5, 2, 3, 6]);
    assert.deepEqual(tableRows(STUDY, { status: 'keep', sort: 'number', descending: false }), [2, 4]);
    assert.deepEqual(tableRows(STUDY, { status: 'pending', sort: 'number', descending: false }), [6]);
    assert.deepEqual(Object.fromEntries(statusCounts(STUDY)), { baseline: 1, discard: 2, keep: 2, crash: 1, pending: 1 });
  });
});
