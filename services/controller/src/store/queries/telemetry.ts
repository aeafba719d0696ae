// What runs emit while they go: log lines and metric points, appended in batches, read back by id.
import { and, asc, eq, gt } from 'drizzle-orm';
import type { LogLine, MetricPoint } from '../../../../../schemas/src/messages.js';
import type { StoreDb } from '../db.js';
import { metrics, runLogs } from '../schema.js';

export type MetricRow = typeof metrics.$inferSelect;
export type MetricKind = MetricRow['kind'];
export type LogRow = Pick<typeof runLogs.$inferSelect, 'id' | 'attempt' | 'ts' | 'stream' | 'line'>;

/** Rows per INSERT: a log message holds at most 1000 lines, and 5 parameters a row stays far below 65535. */
const BATCH_ROWS = 1000;

export async function appendLogs(db: StoreDb, runId: string, attempt: number, lines: LogLine[]): Promise<void> {
  const rows = lines.map((line) => ({ runId, attempt, stream: line.stream, line: line.line, ts: new Date(line.ts) }));
  await insertInBatches(db, rows, (tx, batch) => tx.insert(runLogs).values(batch));
}

export async function getLogs(db: StoreDb, runId: string, options: { afterId?: number; limit: number }): Promise<LogRow[]> {
  return db
    .select({ id: runLogs.id, attempt: runLogs.attempt, ts: runLogs.ts, stream: runLogs.stream, line: runLogs.line })
    .from(runLogs)
    .where(and(eq(runLogs.runId, runId), options.afterId === undefined ? undefined : gt(runLogs.id, options.afterId)))
    .orderBy(asc(runLogs.id))
    .limit(options.limit);
}

export async function appendMetricPoints(
  db: StoreDb,
  runId: string,
  attempt: number,
  points: MetricPoint[],
  kind: MetricKind,
): Promise<void> {
  const rows = points.map((point) => ({
    runId,
    attempt,
    name: point.name,
    value: point.value,
    step: point.step ?? null,
    kind,
    ts: new Date(point.ts),
  }));
  await insertInBatches(db, rows, (tx, batch) => tx.insert(metrics).values(batch));
}

/** In the order they were recorded. */
export async function getMetrics(db: StoreDb, runId: string, options: { kind?: MetricKind } = {}): Promise<MetricRow[]> {
  return db
    .select()
    .from(metrics)
    .where(and(eq(metrics.runId, runId), options.kind === undefined ? undefined : eq(metrics.kind, options.kind)))
    .orderBy(asc(metrics.id));
}

/** One INSERT in the usual case; several in one transaction when the rows are many. */
async function insertInBatches<T>(
  db: StoreDb,
  rows: T[],
  insert: (db: StoreDb, batch: T[]) => PromiseLike<unknown>,
): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length <= BATCH_ROWS) {
    await insert(db, rows);
    return;
  }
  await db.transaction(async (tx) => {
    for (let start = 0; start < rows.length; start += BATCH_ROWS) {
      await insert(tx, rows.slice(start, start + BATCH_ROWS));
    }
  });
}
