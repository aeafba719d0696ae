// A study: its header with stop and resume, where it stands, its stop conditions and cost, the live score
// chart, a skill study's pass rate per eval, and the table of every experiment. The first load reads the
// chart columns once; after that the study's event stream says what changed and only the tail is read again.
import { apiGet, isAbort } from '../api/client.js';
import { followEvents } from '../api/event-stream.js';
import type { EvalRatesPage, PointsPage, StudyCost, StudyDetail } from '../api/types.js';
import { fill, h } from '../dom.js';
import { formatScore, formatTime } from '../format.js';
import { PageScope, refresher } from '../live.js';
import { experimentHref } from '../router.js';
import { renderCost } from '../study/cost-panel.js';
import { createEvalRatesChart } from '../study/eval-rates-chart.js';
import { createExperimentTable } from '../study/experiment-table.js';
import { appendPage, emptyColumns, replaceTail, tailCursor, type PointColumns } from '../study/point-columns.js';
import { summarize } from '../study/progress.js';
import { createScoreChart } from '../study/score-chart.js';
import { renderStopConditions } from '../study/stop-conditions.js';
import { renderStudyControls } from '../study/study-controls.js';
import { errorBox, liveBadge, statusBadge, type Page } from './page.js';

export function mountStudyPage(root: HTMLElement, studyId: string): Page {
  const scope = new PageScope();
  const base = `/v1/studies/${encodeURIComponent(studyId)}`;
  const live = liveBadge();
  const header = h('section', { class: 'study-header' }, h('p', { class: 'muted' }, 'Loading…'));
  const controls = h('div', { class: 'controls' });
  const summary = h('div', { class: 'summary' });
  const stopPanel = h('section', { class: 'panel' });
  const costPanel = h('section', { class: 'panel' });
  const chartSection = h('section', { class: 'chart-section' });
  const skillSection = h('div');
  const tableSection = h('section');
  fill(root, header, controls, summary, h('div', { class: 'panels' }, stopPanel, costPanel), chartSection, skillSection, tableSection);

  let study: StudyDetail | null = null;
  let cost: StudyCost | null = null;
  const columns: PointColumns = emptyColumns();

  const readPoints = async (cursor: number): Promise<{ page: PointColumns; lastEventId: number }> => {
    const page = emptyColumns();
    let next: number | null = cursor;
    let lastEventId = 0;
    let first = true;
    while (next !== null) {
      const answer: PointsPage = await apiGet<PointsPage>(`${base}/points?cursor=${next}`, scope.signal);
      if (first) lastEventId = answer.lastEventId;
      first = false;
      appendPage(page, answer);
      next = answer.nextCursor;
    }
    return { page, lastEventId };
  };

  const renderStudy = () => {
    if (!study) return;
    const s = study;
    const { objective } = s.spec;
    fill(header,
      h('h1', null, s.name, ' ', statusBadge(s.status), ' ', live.element),
      h('p', { class: 'muted' },
        `${s.spec.flavor} study · ${objective.metric} (${objective.direction})`,
        s.owner ? ` · ${s.owner}` : '',
        ` · priority ${s.priority} · started ${formatTime(s.startedAt)}`,
        s.noiseSigma !== null ? ` · run-to-run σ ${formatScore(s.noiseSigma)}` : ''),
      s.stopReason ? h('p', { class: 'reason' }, `Stop: ${s.stopReason}`) : null,
      s.status === 'paused' && s.pausedReason ? h('p', { class: 'reason' }, `Paused: ${s.pausedReason}`) : null,
    );
    renderStudyControls(controls, s, (changed) => {
      study = { ...s, ...changed };
      renderStudy();
    });
  };

  const renderProgress = () => {
    if (!study) return;
    const { metric, direction } = study.spec.objective;
    const progress = summarize(columns, direction);
    fill(summary,
      h('span', null, h('strong', null, progress.decided), ' decided'),
      h('span', null, h('strong', null, progress.pending), ' running or queued'),
      h('span', null, 'best ', h('strong', null, formatScore(progress.bestScore, metric)),
        progress.bestNumber !== null ? [' (', h('a', { href: experimentHref(studyId, progress.bestNumber) }, `#${progress.bestNumber}`), ')'] : null),
      h('span', null, h('strong', null, progress.sinceLastKeep), ' since the last keep'),
    );
    renderStopConditions(stopPanel, study, progress, cost);
  };

  let chart: ReturnType<typeof createScoreChart> | null = null;
  let table: ReturnType<typeof createExperimentTable> | null = null;
  const renderColumns = () => {
    chart?.update(columns);
    table?.update(columns);
    renderProgress();
  };

  const refreshTail = refresher(async () => {
    const cursor = tailCursor(columns);
    const { page } = await readPoints(cursor);
    replaceTail(columns, cursor, page);
    renderColumns();
  }, 150);
  const refreshStudy = refresher(async () => {
    study = await apiGet<StudyDetail>(base, scope.signal);
    renderStudy();
    renderProgress();
  }, 300);
  const loadCost = async () => {
    cost = await apiGet<StudyCost>(`${base}/cost`, scope.signal);
    renderCost(costPanel, cost);
    renderProgress();
  };
  // Runs end often on a busy study: the cost is read again at most every two seconds.
  const refreshCost = refresher(loadCost, 2000);
  let refreshEvals: (() => void) | null = null;
  scope.onDispose(() => [refreshTail, refreshStudy, refreshCost].forEach((r) => r.dispose()));

  void (async () => {
    try {
      const [loaded, points] = await Promise.all([apiGet<StudyDetail>(base, scope.signal), readPoints(-1)]);
      study = loaded;
      appendPage(columns, points.page);
      renderStudy();
      renderCost(costPanel, null);
      const { metric, direction } = loaded.spec.objective;
      chart = createScoreChart({ metric, direction, onOpen: (number) => (location.hash = experimentHref(studyId, number)) });
      scope.onDispose(() => chart?.dispose());
      fill(chartSection, h('h2', null, 'Score progression'), chart.element);
      table = createExperimentTable(studyId, metric);
      fill(tableSection, h('h2', null, 'Experiments'), table.element);
      renderColumns();
      loadCost().catch(() => {});
      if (loaded.spec.flavor === 'skill') refreshEvals = mountEvalRates(skillSection, base, scope);
      scope.onDispose(followEvents(`${base}/stream`, {
        after: points.lastEventId,
        onState: live.set,
        onEvent: (event) => {
          if (event.type.startsWith('experiment') || event.type === 'branch.adopted') refreshTail();
          if (event.type.startsWith('study.')) refreshStudy();
          if (event.type.startsWith('run.') || event.type === 'experiment.decided') refreshCost();
          if (event.type === 'experiment.decided' || event.type === 'run.finished') refreshEvals?.();
        },
      }));
      // Elapsed times and deadlines move without events.
      scope.every(30_000, renderProgress);
    } catch (error) {
      if (!isAbort(error)) fill(header, h('h1', null, 'Study'), errorBox(error));
    }
  })();

  return { dispose: () => scope.dispose() };
}

/** A skill study's pass rate per eval, reloaded as experiments are decided. */
function mountEvalRates(target: HTMLElement, base: string, scope: PageScope): () => void {
  const chart = createEvalRatesChart();
  fill(target, chart.element);
  scope.onDispose(() => chart.dispose());
  const load = refresher(async () => {
    const all: EvalRatesPage = { evals: [], items: [], nextCursor: -1 };
    while (all.nextCursor !== null) {
      const page: EvalRatesPage = await apiGet<EvalRatesPage>(`${base}/eval-rates?cursor=${all.nextCursor}`, scope.signal);
      all.evals = page.evals;
      all.items.push(...page.items);
      all.nextCursor = page.nextCursor;
    }
    chart.update(all);
  }, 500);
  scope.onDispose(() => load.dispose());
  load();
  return load;
}
