// The experiment table's rows: which experiments pass the status filter, in which order. Works on indexes
// into the chart's columns, so sorting 20,000 experiments moves numbers, not objects. Pure: tested in node.
import type { PointColumns } from './point-columns.js';

export type SortKey = 'number' | 'branch' | 'outcome' | 'score' | 'decidedAt';
export interface TableQuery {
  /** An outcome, `pending`, or `all`. */
  status: string;
  sort: SortKey;
  descending: boolean;
}

export function tableRows(columns: PointColumns, query: TableQuery): number[] {
  const rows: number[] = [];
  for (let i = 0; i < columns.number.length; i++) {
    const outcome = columns.outcome[i]!;
    if (query.status === 'all' || (query.status === 'pending' ? outcome === null : outcome === query.status)) rows.push(i);
  }
  const column = columns[query.sort] as (number | string | null)[];
  const sign = query.descending ? -1 : 1;
  rows.sort((a, b) => {
    const left = column[a]!;
    const right = column[b]!;
    // Missing values (no score, not decided yet) go last whichever the direction.
    if (left === null || right === null) return left === right ? a - b : left === null ? 1 : -1;
    const order = left < right ? -1 : left > right ? 1 : 0;
    return order === 0 ? columns.number[a]! - columns.number[b]! : sign * order;
  });
  return rows;
}

/** How many experiments have each status, for the filter's labels. */
export function statusCounts(columns: PointColumns): Map<string, number> {
  const counts = new Map<string, number>();
  for (const outcome of columns.outcome) {
    const key = outcome ?? 'pending';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
