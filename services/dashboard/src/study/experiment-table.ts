// Every experiment of the study in a table that sorts by any column and filters by status. Only one page
// of rows is in the DOM at a time, so 20,000 experiments cost a sort of indexes, not 20,000 rows.
import { fill, h } from '../dom.js';
import { formatScore, formatTime } from '../format.js';
import { experimentHref } from '../router.js';
import type { PointColumns } from './point-columns.js';
import { statusCounts, tableRows, type SortKey, type TableQuery } from './table-view.js';

const PAGE_ROWS = 50;

const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: 'number', label: '#' },
  { key: 'branch', label: 'branch' },
  { key: 'outcome', label: 'status' },
  { key: 'score', label: 'score' },
  { key: 'decidedAt', label: 'decided' },
  { key: null, label: 'change' },
];

export interface ExperimentTable {
  element: HTMLElement;
  update(columns: PointColumns): void;
}

export function createExperimentTable(studyId: string, metric: string): ExperimentTable {
  // Newest first, so a new experiment appears at the top.
  const query: TableQuery = { status: 'all', sort: 'number', descending: true };
  let page = 0;
  let columns: PointColumns | null = null;

  const filter = h('select', { class: 'status-filter', 'aria-label': 'Filter by status', onchange: () => {
    query.status = filter.value;
    page = 0;
    render();
  } });
  const summary = h('span', { class: 'muted table-summary' });
  const previous = h('button', { type: 'button', onclick: () => { page -= 1; render(); } }, '‹ newer');
  const next = h('button', { type: 'button', onclick: () => { page += 1; render(); } }, 'older ›');
  const head = h('tr');
  const body = h('tbody');
  const element = h('section', { class: 'experiment-table' },
    h('div', { class: 'table-tools' }, h('label', null, 'Status ', filter), summary, h('span', { class: 'pager' }, previous, next)),
    h('table', { class: 'data' }, h('thead', null, head), body),
  );

  const renderHead = () => fill(head, COLUMNS.map(({ key, label }) => {
    if (key === null) return h('th', null, label);
    const active = query.sort === key;
    return h('th', { class: active ? 'sortable sorted' : 'sortable', 'data-sort': key, onclick: () => {
      query.descending = active ? !query.descending : key !== 'number' ? false : true;
      query.sort = key;
      page = 0;
      render();
    } }, label, active ? (query.descending ? ' ▾' : ' ▴') : '');
  }));

  const renderFilter = (counts: Map<string, number>) => {
    const total = columns?.number.length ?? 0;
    const options = [['all', `all (${total})`], ...[...counts.entries()].sort().map(([status, n]) => [status, `${status} (${n})`])];
    if (query.status !== 'all' && !counts.has(query.status)) options.push([query.status, `${query.status} (0)`]);
    fill(filter, options.map(([value, label]) => h('option', { value: value!, selected: value === query.status }, label!)));
  };

  function render() {
    if (!columns) return;
    renderHead();
    renderFilter(statusCounts(columns));
    const rows = tableRows(columns, query);
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
    page = Math.min(Math.max(0, page), pages - 1);
    const shown = rows.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS);
    summary.textContent = rows.length === 0 ? 'no experiments' : `${page * PAGE_ROWS + 1}–${page * PAGE_ROWS + shown.length} of ${rows.length}`;
    previous.disabled = page === 0;
    next.disabled = page >= pages - 1;
    const c = columns;
    fill(body, shown.map((i) => {
      const number = c.number[i]!;
      const outcome = c.outcome[i] ?? 'pending';
      const href = experimentHref(studyId, number);
      return h('tr', { 'data-number': number, 'data-outcome': outcome },
        h('td', null, h('a', { href }, `#${number}`)),
        h('td', null, c.branch[i]!),
        h('td', null, h('span', { class: `badge outcome-${outcome}` }, outcome)),
        h('td', { class: 'num' }, formatScore(c.score[i], metric)),
        h('td', null, formatTime(c.decidedAt[i])),
        h('td', { class: 'change' }, h('a', { href }, c.description[i] || (number === 0 ? 'baseline' : '—'))),
      );
    }));
  }

  return {
    element,
    update(next) {
      columns = next;
      render();
    },
  };
}
