// Why the experiment was kept or not: the rule's statistics (experiment.stats) and the reason in words.
import { h } from '../dom.js';
import { formatScore } from '../format.js';
import type { Experiment } from '../api/types.js';

/** `stageNames`: the study's stages (screen, then promote), when it has them. */
export function renderDecision(experiment: Experiment, metric: string, stageNames: string[] = []): HTMLElement {
  const { stats } = experiment;
  const rows: [string, string][] = [];
  if (stageNames.length > 0 && experiment.kind === 'candidate') {
    const reached = experiment.stageReached ?? 0;
    rows.push(['stage reached', `${stageNames[reached] ?? reached} (${reached + 1} of ${stageNames.length})`]);
    for (const verdict of experiment.stageVerdicts ?? []) rows.push([`at ${verdict.name}`, verdict.summary]);
  }
  if (stats) {
    rows.push(['rule', stats.rule]);
    rows.push(['Δ (positive is better)', formatScore(stats.delta, metric === 'pass_rate' ? metric : undefined)]);
    rows.push(['σ (run-to-run)', formatScore(stats.sigma)]);
    rows.push(['threshold', formatScore(stats.threshold)]);
    rows.push(['runs', `${stats.nCandidate} candidate, ${stats.nHead} head`]);
    rows.push(['means', `${formatScore(stats.candidateMean, metric)} candidate, ${formatScore(stats.headMean, metric)} head`]);
    if (stats.pValue !== null) rows.push(['p', stats.pValue.toPrecision(3)]);
    if (stats.confirmation) {
      const c = stats.confirmation;
      rows.push(['confirmation', `first runs: ${c.firstSummary}; ${c.freshRuns} fresh runs averaged ${formatScore(c.freshMean, metric)}`]);
    }
  }
  return h('section', { class: 'decision' },
    h('h3', null, 'Decision'),
    experiment.reason ? h('p', { class: 'reason' }, experiment.reason) : h('p', { class: 'muted' }, experiment.status === 'pending' ? 'Not decided yet.' : 'No reason recorded.'),
    stats ? h('p', { class: 'stats-summary' }, stats.summary) : null,
    rows.length > 0 ? h('table', { class: 'kv' }, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))) : null,
  );
}
