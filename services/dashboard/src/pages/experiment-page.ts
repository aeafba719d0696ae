// One experiment: its hypothesis and change (the diff, highlighted), the decision and its statistics,
// its runs with a live log tail and their intermediate curves, and for a skill study its failing outputs.
// The study's event stream says when the experiment or one of its runs changed.
import type uPlot from 'uplot';
import { apiGet, isAbort } from '../api/client.js';
import { followEvents } from '../api/event-stream.js';
import type { Experiment, Run, StudyDetail } from '../api/types.js';
import { fill, h } from '../dom.js';
import { formatScore, formatTime, formatUsd } from '../format.js';
import { renderDecision } from '../experiment/decision-stats.js';
import { renderDiff } from '../experiment/diff-view.js';
import { followLog, type LogTail } from '../experiment/log-tail.js';
import { renderMetricCurves } from '../experiment/metric-curves.js';
import { renderRuns } from '../experiment/runs-table.js';
import { renderSkillOutputs } from '../experiment/skill-outputs.js';
import { PageScope, refresher } from '../live.js';
import { experimentHref, studyHref } from '../router.js';
import { errorBox, liveBadge, statusBadge, type Page } from './page.js';

export function mountExperimentPage(root: HTMLElement, studyId: string, number: number): Page {
  const scope = new PageScope();
  const base = `/v1/studies/${encodeURIComponent(studyId)}`;
  const live = liveBadge();
  const header = h('section', { class: 'experiment-header' }, h('p', { class: 'muted' }, 'Loading…'));
  const change = h('section', { class: 'change' });
  const decision = h('div');
  const runsSection = h('section', { class: 'runs-section' });
  const logSection = h('div');
  const curvesSection = h('section', { class: 'curves' });
  const skillSection = h('div');
  const diffSection = h('section', { class: 'diff-section' });
  fill(root, header, change, decision, diffSection, runsSection, logSection, curvesSection, skillSection);

  let study: StudyDetail | null = null;
  let experiment: Experiment | null = null;
  let selectedRunId: string | null = null;
  let log: LogTail | null = null;
  let logAbort: AbortController | null = null;
  const plots: uPlot[] = [];
  scope.onDispose(() => {
    log?.dispose();
    logAbort?.abort();
    for (const plot of plots) plot.destroy();
  });

  const selectedRun = () => experiment?.runs.find((r) => r.id === selectedRunId) ?? null;

  const selectRun = (run: Run) => {
    selectedRunId = run.id;
    log?.dispose();
    logAbort?.abort();
    // Aborted when another run is chosen, or when the page goes (the scope's dispose aborts the current one).
    logAbort = new AbortController();
    log = followLog(run, logAbort.signal, () => selectedRun()?.status === 'running' || selectedRun()?.status === 'queued');
    fill(logSection, log.element);
    renderRunsTable();
  };

  const renderRunsTable = () => {
    if (experiment) fill(runsSection, h('h3', null, 'Runs'), renderRuns(experiment.runs, selectedRunId, selectRun, study?.spec.stages?.map((s) => s.name)));
  };

  const render = (previous: Experiment | null) => {
    if (!experiment || !study) return;
    const e = experiment;
    const { metric } = study.spec.objective;
    fill(header,
      h('p', { class: 'crumbs' }, h('a', { href: studyHref(studyId) }, study.name), ' › experiment'),
      h('h1', null, `#${e.number} `, statusBadge(e.outcome ?? e.status), ' ', live.element),
      h('p', { class: 'muted' },
        `${e.kind} · ${metric} ${formatScore(e.score, metric)} · ${e.repeats} run${e.repeats === 1 ? '' : 's'} · created ${formatTime(e.createdAt)}`,
        e.decidedAt ? ` · decided ${formatTime(e.decidedAt)}` : '',
        e.modelUsage ? ` · proposed by ${e.modelUsage.model} for ${formatUsd(e.modelUsage.costUsd)}` : ''),
      h('p', { class: 'nav-experiments' },
        e.number > 0 ? h('a', { href: experimentHref(studyId, e.number - 1) }, `‹ #${e.number - 1}`) : null, ' ',
        h('a', { href: experimentHref(studyId, e.number + 1) }, `#${e.number + 1} ›`)),
    );
    fill(change,
      h('h3', null, 'Hypothesis'),
      h('p', { class: 'hypothesis' }, e.hypothesis || (e.number === 0 ? 'The baseline: the workspace as it was.' : '—')),
      e.variable ? h('p', null, h('strong', null, 'Variable: '), e.variable) : null,
      e.description ? h('p', null, h('strong', null, 'Change: '), e.description) : null,
    );
    fill(decision, renderDecision(e, metric, study.spec.stages?.map((s) => s.name)));
    if (previous?.diff !== e.diff || diffSection.childElementCount === 0) fill(diffSection, h('h3', null, 'Diff'), renderDiff(e.diff));
    if (!e.runs.some((r) => r.id === selectedRunId)) {
      const first = e.runs.find((r) => r.status === 'running') ?? e.runs[0];
      if (first) selectRun(first);
      else renderRunsTable();
    } else {
      renderRunsTable();
      const run = selectedRun();
      const before = previous?.runs.find((r) => r.id === selectedRunId);
      // The log follows a run that (re)started: follow it afresh.
      if (run && before && (before.status !== run.status || before.attempt !== run.attempt) && (run.status === 'running' || before.attempt !== run.attempt)) selectRun(run);
    }
    if (study.spec.flavor === 'skill' && e.outputs) fill(skillSection, renderSkillOutputs(e.outputs, study.spec.skill?.evals.map((x) => x.name) ?? []));
    void renderMetricCurves(curvesSection, e.runs, scope.signal, plots).catch((error) => {
      if (!isAbort(error)) fill(curvesSection, errorBox(error));
    });
  };

  const load = async () => {
    const previous = experiment;
    experiment = await apiGet<Experiment>(`${base}/experiments/${number}`, scope.signal);
    render(previous);
  };
  const refresh = refresher(load, 300);
  scope.onDispose(() => refresh.dispose());

  void (async () => {
    try {
      const [loadedStudy, points] = await Promise.all([
        apiGet<StudyDetail>(base, scope.signal),
        apiGet<{ lastEventId: number }>(`${base}/points?limit=1`, scope.signal),
      ]);
      study = loadedStudy;
      await load();
      const runIds = () => new Set(experiment?.runs.map((r) => r.id));
      scope.onDispose(followEvents(`${base}/stream`, {
        after: points.lastEventId,
        onState: live.set,
        onEvent: (event) => {
          const payload = event.payload;
          if (payload.number === number || (typeof payload.runId === 'string' && runIds().has(payload.runId)) || payload.experimentId === experiment?.id) refresh();
        },
      }));
      // A run starting records no event: look again now and then while anything is queued or running.
      scope.every(3000, () => {
        if (experiment?.runs.some((r) => r.status === 'queued' || r.status === 'running')) refresh();
      });
    } catch (error) {
      if (!isAbort(error)) fill(header, h('h1', null, `Experiment #${number}`), errorBox(error));
    }
  })();

  return { dispose: () => scope.dispose() };
}
