// The experiment's runs: where each ran, how it ended and what it measured. Choosing one shows its log and
// curves.
import { h } from '../dom.js';
import { elapsedSince, formatDuration, formatScore } from '../format.js';
import type { Run } from '../api/types.js';

/** `stageNames`: the study's stages (screen, then promote), when it has them: each run shows its own. */
export function renderRuns(runs: Run[], selectedId: string | null, onSelect: (run: Run) => void, stageNames: string[] = []): HTMLElement {
  if (runs.length === 0) return h('p', { class: 'muted' }, 'No runs: this experiment was decided without running (an invalid change, or an adoption).');
  const staged = stageNames.length > 0;
  const labels = ['run', ...(staged ? ['stage'] : []), 'role', 'attempt', 'status', 'slot', 'duration', 'peak memory', 'metrics', 'reason'];
  return h('table', { class: 'data runs' },
    h('thead', null, h('tr', null, labels.map((label) => h('th', null, label)))),
    h('tbody', null, runs.map((run) => h('tr', {
      class: run.id === selectedId ? 'selected clickable' : 'clickable',
      'data-run': run.id,
      'data-status': run.status,
      onclick: () => onSelect(run),
    },
    h('td', null, `#${run.repeatIndex}`),
    staged ? h('td', { class: 'run-stage' }, stageNames[run.stage ?? 0] ?? String(run.stage)) : null,
    h('td', null, run.role),
    h('td', null, run.attempt),
    h('td', null, h('span', { class: `badge run-${run.status}` }, run.status)),
    h('td', null, [run.slot, run.host].filter(Boolean).join(' @ ') || '—'),
    h('td', null, formatDuration(elapsedSince(run.startedAt, run.status === 'running' ? null : run.finishedAt))),
    h('td', null, run.peakMemoryMb === null ? '—' : `${Math.round(run.peakMemoryMb)} MB`),
    h('td', { class: 'metrics' }, run.metrics ? Object.entries(run.metrics).map(([k, v]) => `${k}=${formatScore(v)}`).join(' ') : '—'),
    h('td', { class: 'run-reason' }, run.reason ?? ''),
    ))),
  );
}
