// What the study has cost so far: GPU-hours from its runs' durations, and its model tokens and dollars.
import { fill, h } from '../dom.js';
import { formatCount, formatDuration, formatUsd } from '../format.js';
import type { StudyCost } from '../api/types.js';

export function renderCost(target: HTMLElement, cost: StudyCost | null): void {
  if (!cost) {
    fill(target, h('h3', null, 'Cost so far'), h('p', { class: 'muted' }, 'Loading…'));
    return;
  }
  const { mutator, skillRuns } = cost;
  const rows: [string, string][] = [
    ['GPU-hours', cost.gpuHours.toFixed(cost.gpuHours < 10 ? 3 : 1)],
    ['run time', `${formatDuration(cost.runHours * 3_600_000)} over ${formatCount(cost.runs)} runs`],
    ['model tokens', `${formatCount(mutator.inputTokens)} in, ${formatCount(mutator.outputTokens)} out, ${formatCount(mutator.cacheCreationTokens)} cache writes, ${formatCount(mutator.cacheReadTokens)} cache reads (${formatCount(mutator.calls)} calls)`],
    ['model cost', formatUsd(mutator.costUsd)],
  ];
  if (skillRuns.calls > 0) rows.push(['skill runs', `${formatCount(skillRuns.inputTokens)} in, ${formatCount(skillRuns.outputTokens)} out (${formatCount(skillRuns.calls)} calls)`]);
  fill(target, h('h3', null, 'Cost so far'), h('table', { class: 'kv cost' }, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))));
}
