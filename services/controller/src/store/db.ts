// The drizzle handle every query takes. Both drivers (node-postgres and PGlite) produce a PgDatabase,
// and a transaction is one too, so a query written once runs on either, inside a transaction or not.
import type { SQL, Table, InferSelectModel } from 'drizzle-orm';
import { getTableColumns } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

export type StoreDriver = 'pglite' | 'postgres';

export type StoreDb = PgDatabase<PgQueryResultHKT>;

/** Runs SQL written by hand and returns its rows as the driver gives them (snake_case, raw values). */
export async function queryRows(db: StoreDb, query: SQL): Promise<Record<string, unknown>[]> {
  // node-postgres answers a QueryResult and PGlite a Results object; both carry `rows`.
  const result = (await db.execute(query)) as unknown as { rows: Record<string, unknown>[] };
  return result.rows;
}

/**
 * Maps a row from hand-written SQL (`RETURNING *`) to the drizzle row type, through each column's own
 * driver mapping, so it is exactly what the query builder would have returned.
 */
export function mapRow<T extends Table>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}

/** Timestamps go to hand-written SQL as ISO strings: exact, and independent of the process's time zone. */
export function isoTimestamp(value: Date | number): string {
  return new Date(value).toISOString();
}
