// What runs emit while they go: log lines and metric points, appended in batches, read back by id.
import { and, asc, eq, gt, param, sql } from 'drizzle-orm';
import type { LogLine, MetricPoint } from '../../../../../schemas/src/messages.js';
import type { StoreDb } from '../db.js';
import { metrics, runLogs } from '../schema.js';

export type MetricRow = typeof metrics.$inferSelect;
export type MetricKind = MetricRow['kind'];
export type LogRow = Pick<typeof runLogs.$inferSelect, 'id' | 'attempt' | 'ts' | 'stream' | 'line'>;

/**
 * One INSERT … SELECT FROM unnest(arrays) per batch: a handful of parameters however many lines, and no
 * statement to build per row (the query builder's cost dominated ingest; see bench/README.md).
 */
export async function appendLogs(db: StoreDb, runId: string, attempt: number, lines: LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.execute(sql`
    INSERT INTO run_logs (run_id, attempt, stream, line, ts)
    SELECT ${runId}, ${attempt}, stream, line, to_timestamp(ts / 1000.0)
      FROM unnest(${param(lines.map((l) => l.stream))}::text[], ${param(lines.map((l) => l.line))}::text[],
                  ${param(lines.map((l) => l.ts))}::float8[]) WITH ORDINALITY AS u(stream, line, ts, position)
     ORDER BY position`);
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
  if (points.length === 0) return;
  // WITH ORDINALITY keeps the points' order in the ids, which is the order getMetrics reads them back in.
  await db.execute(sql`
    INSERT INTO metrics (run_id, attempt, name, value, step, kind, ts)
    SELECT ${runId}, ${attempt}, name, value, step, ${kind}, to_timestamp(ts / 1000.0)
      FROM unnest(${param(points.map((p) => p.name))}::text[], ${param(points.map((p) => p.value))}::float8[],
                  ${param(points.map((p) => p.step ?? null))}::float8[], ${param(points.map((p) => p.ts))}::float8[])
           WITH ORDINALITY AS u(name, value, step, ts, position)
     ORDER BY position`);
}

/** In the order they were recorded. */
/** A run's metric points in id order; the API pages them (afterId, limit), the controller reads them whole. */
export async function getMetrics(db: StoreDb, runId: string, options: { kind?: MetricKind; afterId?: number; limit?: number } = {}): Promise<MetricRow[]> {
  const query = db
    .select()
    .from(metrics)
    .where(and(
      eq(metrics.runId, runId),
      options.kind === undefined ? undefined : eq(metrics.kind, options.kind),
      options.afterId === undefined ? undefined : gt(metrics.id, options.afterId),
    ))
    .orderBy(asc(metrics.id));
  return options.limit === undefined ? query : query.limit(options.limit);
}
