// The append-only event log that the dashboard's SSE stream and `autoresearch` follow by id.
import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { events, type EventRow } from '../schema.js';

/** Arbitrary, fixed: the transaction-scoped advisory lock that orders event inserts. */
const EVENTS_LOCK_KEY = 4_172_036_011;

export interface ListEventsOptions {
  afterId?: number;
  limit: number;
}

/**
 * Readers follow the log by `id > lastSeen`. A bigserial id is taken at insert but becomes visible at
 * commit, so two concurrent writers could commit 7 after a reader already saw 8, and 7 would never be
 * read. The lock makes event-writing transactions commit in id order. Callers must already be inside a
 * transaction and must take it as their last lock (so it can never be part of a deadlock).
 */
export async function appendEventInTransaction(
  tx: StoreDb,
  studyId: string | null,
  type: string,
  payload: Record<string, unknown>,
): Promise<EventRow> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${EVENTS_LOCK_KEY})`);
  const [row] = await tx.insert(events).values({ studyId, type, payload }).returning();
  return row!;
}

export async function appendEvent(
  db: StoreDb,
  studyId: string | null,
  type: string,
  payload: Record<string, unknown> = {},
): Promise<EventRow> {
  return db.transaction((tx) => appendEventInTransaction(tx, studyId, type, payload));
}

export async function listEvents(db: StoreDb, studyId: string, options: ListEventsOptions): Promise<EventRow[]> {
  return selectEvents(db, eq(events.studyId, studyId), options);
}

/** Every study's events (and those of no study), for a stream across the whole controller. */
export async function listAllEvents(db: StoreDb, options: ListEventsOptions): Promise<EventRow[]> {
  return selectEvents(db, undefined, options);
}

function selectEvents(db: StoreDb, scope: SQL | undefined, options: ListEventsOptions): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(and(scope, options.afterId === undefined ? undefined : gt(events.id, options.afterId)))
    .orderBy(asc(events.id))
    .limit(options.limit);
}
