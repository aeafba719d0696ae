// The live score progression: every experiment a point coloured by its outcome, each branch's running
// best a step line. uPlot draws 20,000 points on a canvas in milliseconds; live updates replace its data
// in place. Click a point to open its experiment.
import uPlot from 'uplot';
import { h } from '../dom.js';
import { formatScore } from '../format.js';
import { branchColor, outcomeColor } from '../outcomes.js';
import { buildChartSeries, type ChartSeries } from './chart-series.js';
import type { PointColumns } from './point-columns.js';

export interface ScoreChart {
  element: HTMLElement;
  update(columns: PointColumns): void;
  dispose(): void;
}

const HEIGHT = 320;
/** Experiment numbers are whole: the x axis never ticks at 0.5. */
export const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

export function createScoreChart(options: {
  metric: string;
  direction: 'minimize' | 'maximize';
  onOpen(number: number): void;
}): ScoreChart {
  const hover = h('div', { class: 'chart-hover muted' }, 'Hover a point for its experiment; click to open it; drag to zoom, double-click to reset.');
  const canvasHolder = h('div', { class: 'chart-canvas' });
  const element = h('div', { class: 'score-chart', 'data-points': '0' }, hover, canvasHolder);
  let plot: uPlot | null = null;
  let seriesKey = '';
  let columns: PointColumns | null = null;
  let zoomed = false;

  const describe = (index: number) => {
    if (!columns || index < 0 || index >= columns.number.length) return;
    const outcome = columns.outcome[index] ?? 'pending';
    hover.textContent = `#${columns.number[index]} · branch ${columns.branch[index]} · ${outcome} · ${options.metric} ${formatScore(columns.score[index], options.metric)} · ${columns.description[index] || '(no change)'}`;
  };

  const build = (series: ChartSeries) => {
    plot?.destroy();
    const width = Math.max(320, canvasHolder.clientWidth || element.clientWidth || 800);
    const plotOptions: uPlot.Options = {
      width,
      height: HEIGHT,
      scales: { x: { time: false } },
      axes: [
        { label: 'experiment', incrs: INTEGER_STEPS },
        {
          label: `${options.metric} (${options.direction === 'minimize' ? 'lower' : 'higher'} is better)`,
          size: 70,
          ...(options.metric === 'pass_rate' && { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${Math.round(t * 100)}%`) }),
        },
      ],
      legend: { live: false },
      // No series focus: it redraws every series on each hover, which 20,000 points make sluggish.
      cursor: {
        bind: {
          // uPlot's own double-click resets the zoom; live updates may then rescale again.
          dblclick: (_u, _target, handler) => (event) => {
            zoomed = false;
            return handler(event);
          },
        },
      },
      series: [
        { label: 'experiment' },
        ...series.outcomes.map(({ outcome }) => ({
          label: outcome,
          stroke: outcomeColor(outcome),
          fill: outcomeColor(outcome),
          paths: () => null,
          points: { show: true, size: 6, width: 0, fill: outcomeColor(outcome), stroke: outcomeColor(outcome) },
        })),
        ...series.bests.map(({ branch }) => ({
          label: `best, branch ${branch}`,
          stroke: branchColor(branch),
          width: 2,
          spanGaps: true,
          paths: uPlot.paths.stepped!({ align: 1 }),
          points: { show: false },
        })),
      ],
      hooks: {
        setCursor: [(u) => describe(u.cursor.idx ?? -1)],
        setSelect: [(u) => {
          if (u.select.width > 0) zoomed = true;
        }],
        draw: [() => {
          element.setAttribute('data-points', String(columns?.number.length ?? 0));
          // The benchmark and the browser tests wait for this mark: the chart is on screen.
          performance.mark('chart-drawn');
        }],
      },
    };
    plot = new uPlot(plotOptions, dataOf(series), canvasHolder);
    plot.over.addEventListener('click', () => {
      const index = plot?.cursor.idx;
      if (columns && index !== null && index !== undefined && columns.number[index] !== undefined) options.onOpen(columns.number[index]!);
    });
  };

  const onResize = () => plot?.setSize({ width: Math.max(320, canvasHolder.clientWidth), height: HEIGHT });
  window.addEventListener('resize', onResize);

  return {
    element,
    update(next) {
      performance.mark('chart-update');
      columns = next;
      const series = buildChartSeries(next, options.direction);
      const key = [...series.outcomes.map((s) => s.outcome), '|', ...series.bests.map((s) => s.branch)].join(',');
      if (!plot || key !== seriesKey) {
        seriesKey = key;
        build(series);
      } else {
        plot.setData(dataOf(series), !zoomed);
      }
    },
    dispose() {
      window.removeEventListener('resize', onResize);
      plot?.destroy();
      plot = null;
    },
  };
}

function dataOf(series: ChartSeries): uPlot.AlignedData {
  return [series.x, ...series.outcomes.map((s) => s.values), ...series.bests.map((s) => s.values)] as uPlot.AlignedData;
}
