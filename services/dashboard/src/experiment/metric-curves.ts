// The intermediate metrics of the experiment's runs (`step=N name=value` lines), one chart per metric,
// one line per run.
import uPlot from 'uplot';
import { apiGet } from '../api/client.js';
import { fill, h } from '../dom.js';
import { BRANCH_COLORS } from '../outcomes.js';
import type { MetricPoint, Run } from '../api/types.js';

const MAX_CHARTS = 6;
/** Pages of 5,000 points read per run at most: curves beyond 50,000 points are cut, not the page. */
const MAX_PAGES = 10;

/** A run's intermediate points, page by page along the API's cursor. */
async function intermediatePoints(run: Run, signal: AbortSignal): Promise<MetricPoint[]> {
  const points: MetricPoint[] = [];
  let cursor = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = await apiGet<{ items: MetricPoint[]; nextCursor: number | null }>(
      `/v1/runs/${encodeURIComponent(run.id)}/metrics?kind=intermediate&limit=5000&cursor=${cursor}`, signal);
    points.push(...answer.items);
    if (answer.nextCursor === null) break;
    cursor = answer.nextCursor;
  }
  return points;
}

export async function renderMetricCurves(target: HTMLElement, runs: Run[], signal: AbortSignal, plots: uPlot[]): Promise<void> {
  const started = runs.filter((r) => r.status !== 'queued');
  const answers = await Promise.all(started.map((run) =>
    intermediatePoints(run, signal).then((points) => ({ run, points: points.filter((p) => p.attempt === run.attempt) }))));
  const names = [...new Set(answers.flatMap((a) => a.points.map((p) => p.name)))].sort().slice(0, MAX_CHARTS);
  for (const plot of plots.splice(0)) plot.destroy();
  if (names.length === 0) {
    fill(target, h('h3', null, 'Curves'), h('p', { class: 'muted' }, 'No intermediate metrics (name=value lines printed during a run) yet.'));
    return;
  }
  fill(target, h('h3', null, 'Curves'));
  for (const name of names) {
    const holder = h('div', { class: 'curve' }, h('h4', null, name));
    target.append(holder);
    const perRun = answers.map(({ run, points }) => ({
      run,
      points: points.filter((p) => p.name === name).map((p, i) => ({ x: p.step ?? i, y: p.value })),
    })).filter((r) => r.points.length > 0);
    const xs = [...new Set(perRun.flatMap((r) => r.points.map((p) => p.x)))].sort((a, b) => a - b);
    const data = [xs, ...perRun.map(({ points }) => {
      const byX = new Map(points.map((p) => [p.x, p.y]));
      return xs.map((x) => byX.get(x) ?? null);
    })] as uPlot.AlignedData;
    plots.push(new uPlot({
      width: Math.max(300, Math.min(640, holder.clientWidth || 480)),
      height: 200,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { size: 60 }],
      series: [
        { label: 'step' },
        ...perRun.map(({ run }, i) => ({ label: `run #${run.repeatIndex}`, stroke: BRANCH_COLORS[i % BRANCH_COLORS.length], width: 1.5, spanGaps: true })),
      ],
    }, data, holder));
  }
}
