// A skill study's pass rate per eval over its experiments: which evals the edits fixed, and which they
// broke.
import uPlot from 'uplot';
import { fill, h } from '../dom.js';
import { BRANCH_COLORS } from '../outcomes.js';
import { INTEGER_STEPS } from './score-chart.js';
import type { EvalRatesPage } from '../api/types.js';

export interface EvalRatesChart {
  element: HTMLElement;
  update(page: Pick<EvalRatesPage, 'evals' | 'items'>): void;
  dispose(): void;
}

export function createEvalRatesChart(): EvalRatesChart {
  const holder = h('div', { class: 'chart-canvas' });
  const element = h('section', { class: 'eval-rates' }, h('h3', null, 'Pass rate per eval'), holder);
  let plot: uPlot | null = null;
  let evalsKey = '';
  return {
    element,
    update({ evals, items }) {
      const decided = items.filter((item) => item.outcome !== null && item.runs > 0);
      if (decided.length === 0) {
        plot?.destroy();
        plot = null;
        evalsKey = '';
        fill(holder, h('p', { class: 'muted' }, 'No decided experiment yet.'));
        return;
      }
      const data = [decided.map((item) => item.number), ...evals.map((name) => decided.map((item) => (item.passes[name] ?? 0) / item.runs))] as uPlot.AlignedData;
      if (plot && evalsKey === evals.join('\n')) {
        plot.setData(data);
        return;
      }
      plot?.destroy();
      holder.replaceChildren();
      evalsKey = evals.join('\n');
      plot = new uPlot({
        width: Math.max(320, holder.clientWidth || 800),
        height: 240,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [{ label: 'experiment', incrs: INTEGER_STEPS }, { label: 'pass rate', values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`) }],
        series: [
          { label: 'experiment' },
          ...evals.map((name, i) => ({ label: name, stroke: BRANCH_COLORS[i % BRANCH_COLORS.length], width: 2, points: { show: true, size: 5 } })),
        ],
      }, data, holder);
    },
    dispose() {
      plot?.destroy();
    },
  };
}
