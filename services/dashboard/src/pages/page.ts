// What every page shares: it mounts into the main element and is disposed when the route changes.
import { isAbort } from '../api/client.js';
import { h } from '../dom.js';

export interface Page {
  dispose(): void;
}

export function errorBox(error: unknown): HTMLElement | null {
  if (isAbort(error)) return null;
  return h('p', { class: 'error' }, (error as Error).message || String(error));
}

export function liveBadge(): { element: HTMLElement; set(state: 'live' | 'reconnecting'): void } {
  const element = h('span', { class: 'live-badge', title: 'Updates arrive over server-sent events' }, 'connecting…');
  return {
    element,
    set(state) {
      element.textContent = state === 'live' ? '● live' : '○ reconnecting…';
      element.className = `live-badge ${state}`;
    },
  };
}

/** A study's or run's status, or an experiment's outcome, coloured as everywhere else. */
export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status} outcome-${status}`, 'data-status': status }, status);
}
