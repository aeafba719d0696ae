// A study's experiments as the chart and the table hold them: parallel columns, one entry per experiment
// in number order. Live updates refetch only the tail from the first undecided experiment (decisions are
// made in number order, so everything before it is final) and merge it here. Pure: tested in node.

export interface PointColumns {
  number: number[];
  branch: number[];
  outcome: (string | null)[];
  score: (number | null)[];
  decidedAt: (number | null)[];
  description: string[];
}

export function emptyColumns(): PointColumns {
  return { number: [], branch: [], outcome: [], score: [], decidedAt: [], description: [] };
}

const KEYS = ['number', 'branch', 'outcome', 'score', 'decidedAt', 'description'] as const;

/** Appends a page that follows the columns (the first load, page after page). */
export function appendPage(columns: PointColumns, page: PointColumns): void {
  for (const key of KEYS) (columns[key] as unknown[]).push(...(page[key] as unknown[]));
}

/**
 * Where a tail refetch starts: the cursor (last number before it) for the first pending experiment, or for
 * what comes after the last one when none is pending.
 */
export function tailCursor(columns: PointColumns): number {
  const pending = columns.outcome.indexOf(null);
  if (pending >= 0) return columns.number[pending]! - 1;
  return columns.number.length === 0 ? -1 : columns.number[columns.number.length - 1]!;
}

/** Replaces everything after `cursor` with a fresh tail (which holds every experiment after it). */
export function replaceTail(columns: PointColumns, cursor: number, tail: PointColumns): void {
  let keep = columns.number.length;
  while (keep > 0 && columns.number[keep - 1]! > cursor) keep -= 1;
  for (const key of KEYS) {
    const column = columns[key] as unknown[];
    column.length = keep;
    column.push(...(tail[key] as unknown[]));
  }
}
