// The shared queue: each slot (or the pool's GPUs) and the study that holds it, and each active study's
// running and queued runs against the share its priority entitles it to. Another team's runs show as busy.
import { apiGet, isAbort } from '../api/client.js';
import { followEvents } from '../api/event-stream.js';
import type { QueueHolder, QueueView } from '../api/types.js';
import { fill, h } from '../dom.js';
import { elapsedSince, formatDuration } from '../format.js';
import { PageScope, refresher } from '../live.js';
import { experimentHref, studyHref } from '../router.js';
import { errorBox, liveBadge, statusBadge, type Page } from './page.js';

export function mountQueuePage(root: HTMLElement): Page {
  const scope = new PageScope();
  const live = liveBadge();
  const slots = h('section', { class: 'slots' });
  const studies = h('section');
  fill(root, h('h1', null, 'Queue ', live.element), slots, studies);

  const holderView = (holder: QueueHolder | null) => {
    if (!holder) return h('span', { class: 'muted' }, 'free');
    if (!holder.visible) return h('span', { class: 'muted' }, `another team's run${holder.gpus > 1 ? ` (${holder.gpus} GPUs)` : ''}`);
    return h('span', null,
      h('a', { href: studyHref(holder.studyId!) }, holder.studyName ?? holder.studyId),
      ' ', h('a', { href: experimentHref(holder.studyId!, holder.experimentNumber ?? 0) }, `#${holder.experimentNumber}`),
      h('span', { class: 'muted' }, ` · ${formatDuration(elapsedSince(holder.startedAt))}${holder.gpus > 1 ? ` · ${holder.gpus} GPUs` : ''}`));
  };

  const render = (view: QueueView) => {
    const title = view.placement === 'pool'
      ? `Cluster pool: ${view.capacity} GPUs, ${view.free} free`
      : view.placement === 'slots' ? `Slots: ${view.capacity}, ${view.free} free` : 'Running runs (this server runs none itself)';
    fill(slots,
      h('h2', null, title),
      h('div', { class: 'slot-grid' },
        view.slots.map((slot) => h('div', { class: slot.holder ? 'slot busy' : 'slot', 'data-slot': slot.name }, h('div', { class: 'slot-name' }, slot.name), holderView(slot.holder))),
        view.placement === 'pool' ? Array.from({ length: Math.min(view.free, 64) }, () => h('div', { class: 'slot' }, h('div', { class: 'slot-name' }, 'free GPU'))) : null),
      view.elsewhere.length > 0
        ? [h('h3', null, 'On other controllers'), h('div', { class: 'slot-grid' }, view.elsewhere.map((holder) => h('div', { class: 'slot busy' }, h('div', { class: 'slot-name' }, [holder.slot, holder.host].filter(Boolean).join(' @ ')), holderView(holder))))]
        : null,
    );
    fill(studies,
      h('h2', null, 'Fair shares'),
      h('p', { class: 'muted' }, 'The next free slot goes to the study with the fewest running runs per unit of priority, within its team’s quota. “Entitled” is what its priority earns while the queue is contended.'),
      h('table', { class: 'data shares' },
        h('thead', null, h('tr', null, ['study', 'team', 'status', 'priority', 'running', 'queued', 'running / priority', 'entitled'].map((label) => h('th', null, label)))),
        h('tbody', null, view.studies.length === 0
          ? h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No active study.'))
          : view.studies.map((s) => h('tr', { 'data-study': s.id },
            h('td', null, h('a', { href: studyHref(s.id) }, s.name)),
            h('td', null, s.team),
            h('td', null, statusBadge(s.status)),
            h('td', { class: 'num' }, s.priority),
            h('td', { class: 'num' }, s.running),
            h('td', { class: 'num' }, s.queued),
            h('td', { class: 'num' }, s.share.toFixed(2)),
            h('td', { class: 'num' }, s.entitled.toFixed(1)),
          )))),
      view.otherTeams ? h('p', { class: 'muted' }, `Other teams: ${view.otherTeams.studies} active studies, ${view.otherTeams.running} running and ${view.otherTeams.queued} queued runs.`) : null,
    );
  };

  const load = async () => render(await apiGet<QueueView>('/v1/queue', scope.signal));
  const refresh = refresher(load, 500);
  scope.onDispose(() => refresh.dispose());
  void load()
    .then(() => {
      scope.onDispose(followEvents('/v1/stream', { onState: live.set, onEvent: () => refresh() }));
      // Runs starting record no event, and other controllers' slots change without this server's events.
      scope.every(5000, refresh);
    })
    .catch((error) => {
      if (!isAbort(error)) fill(slots, errorBox(error));
    });
  return { dispose: () => scope.dispose() };
}
