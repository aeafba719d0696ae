// The study's stop conditions (the spec's, with the command line's overrides), each with how close the
// study is to it.
import { fill, h } from '../dom.js';
import { formatDuration, formatScore, formatUsd } from '../format.js';
import type { Study, StudyCost } from '../api/types.js';
import type { Progress } from './progress.js';

export function renderStopConditions(target: HTMLElement, study: Study, progress: Progress, cost: StudyCost | null): void {
  const stop = { ...study.spec.stop, ...study.stopOverrides };
  const { objective } = study.spec;
  const metric = objective.metric;
  const rows: [string, string][] = [];
  if (objective.target !== undefined) {
    const comparator = objective.direction === 'minimize' ? '≤' : '≥';
    rows.push(['target', `${metric} ${comparator} ${formatScore(objective.target, metric)} (best so far ${formatScore(progress.bestScore, metric)})`]);
  }
  if (stop.maxExperiments !== undefined) rows.push(['max experiments', `${progress.decided} of ${stop.maxExperiments} decided`]);
  if (stop.maxMinutes !== undefined) {
    const end = study.stoppedAt ? new Date(study.stoppedAt).getTime() : Date.now();
    rows.push(['max minutes', `${formatDuration(end - new Date(study.startedAt).getTime())} of ${stop.maxMinutes} min`]);
  }
  if (stop.deadline !== undefined) {
    const left = new Date(stop.deadline).getTime() - Date.now();
    rows.push(['deadline', `${new Date(stop.deadline).toLocaleString()} (${left > 0 ? `in ${formatDuration(left)}` : 'passed'})`]);
  }
  if (stop.plateau !== undefined) rows.push(['plateau', `${progress.sinceLastKeep} of ${stop.plateau} experiments without a keep`]);
  if (stop.maxCostUsd !== undefined) rows.push(['max cost', `${cost ? formatUsd(cost.mutator.costUsd) : '…'} of ${formatUsd(stop.maxCostUsd)}`]);
  if (stop.ceiling !== undefined) {
    const streak = ceilingStreak(progress, objective.direction, stop.ceiling.value);
    rows.push(['ceiling', `${formatScore(stop.ceiling.value, metric)} for ${stop.ceiling.consecutive} in a row (now ${streak})`]);
  }
  fill(target,
    h('h3', null, 'Stop conditions'),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'None: it runs until stopped.')
      : h('table', { class: 'kv' }, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))),
  );
}

function ceilingStreak(progress: Progress, direction: 'minimize' | 'maximize', value: number): number {
  let streak = 0;
  for (let i = progress.scored.length - 1; i >= 0; i--) {
    const score = progress.scored[i]!.score;
    if (score === null || (direction === 'minimize' ? score > value : score < value)) break;
    streak += 1;
  }
  return streak;
}
