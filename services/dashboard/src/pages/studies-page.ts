// The studies this browser may see (its team's, with a token), newest first, updated live.
import { apiGet, isAbort } from '../api/client.js';
import { followEvents } from '../api/event-stream.js';
import type { Page as ApiPage, Study } from '../api/types.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { PageScope, refresher } from '../live.js';
import { studyHref } from '../router.js';
import { errorBox, liveBadge, statusBadge, type Page } from './page.js';

const PAGE_SIZE = 50;

export function mountStudiesPage(root: HTMLElement): Page {
  const scope = new PageScope();
  const live = liveBadge();
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'More studies');
  const message = h('div');
  fill(root,
    h('h1', null, 'Studies ', live.element),
    message,
    h('table', { class: 'data studies' },
      h('thead', null, h('tr', null, ['study', 'status', 'flavor', 'objective', 'owner', 'started'].map((label) => h('th', null, label)))),
      body),
    more,
  );
  let cursor: string | null = null;
  let shown: Study[] = [];

  const row = (study: Study) => h('tr', { 'data-study': study.id },
    h('td', null, h('a', { href: studyHref(study.id) }, study.name)),
    h('td', null, statusBadge(study.status)),
    h('td', null, study.flavor),
    h('td', null, `${study.spec.objective.metric} (${study.spec.objective.direction})`),
    h('td', null, study.owner ?? '—'),
    h('td', null, formatTime(study.startedAt)),
  );

  const render = () => {
    fill(body, shown.map(row));
    if (shown.length === 0) fill(body, h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No studies yet. Start one with `npx autoresearch run <dir>`, or POST /v1/studies.')));
    more.hidden = cursor === null;
  };

  const loadFirst = async () => {
    const page = await apiGet<ApiPage<Study>>(`/v1/studies?limit=${Math.max(PAGE_SIZE, shown.length)}`, scope.signal);
    shown = page.items;
    cursor = page.nextCursor;
    render();
  };
  more.addEventListener('click', () => void (async () => {
    if (cursor === null) return;
    const page = await apiGet<ApiPage<Study>>(`/v1/studies?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(cursor)}`, scope.signal);
    shown.push(...page.items);
    cursor = page.nextCursor;
    render();
  })().catch((error) => fill(message, errorBox(error))));

  const refresh = refresher(loadFirst, 1000);
  scope.onDispose(() => refresh.dispose());
  void loadFirst()
    .then(() => scope.onDispose(followEvents('/v1/stream', {
      onState: live.set,
      onEvent: (event) => {
        if (event.type.startsWith('study.')) refresh();
      },
    })))
    .catch((error) => {
      if (!isAbort(error)) fill(message, errorBox(error));
    });
  return { dispose: () => scope.dispose() };
}
