// Following the event log live (the dashboard's SSE streams): where a stream starts, and the events a
// team may see across all of its studies. One study's events come from events.ts.
import { sql } from 'drizzle-orm';
import { mapRow, queryRows, type StoreDb } from '../db.js';
import { events, type EventRow } from '../schema.js';

/** The newest event id of a study (or of the whole log), 0 when there is none: a stream starts after it. */
export async function latestEventId(db: StoreDb, studyId?: string): Promise<number> {
  const [row] = await queryRows(
    db,
    studyId === undefined
      ? sql`SELECT coalesce(max(id), 0)::float8 AS id FROM events`
      : sql`SELECT coalesce(max(id), 0)::float8 AS id FROM events WHERE study_id = ${studyId}`,
  );
  return Number(row!.id);
}

/** The events of one team's studies after an id, in id order; events of no study are not a team's. */
export async function listTeamEvents(db: StoreDb, teamId: string, options: { afterId: number; limit: number }): Promise<EventRow[]> {
  const rows = await queryRows(db, sql`
    SELECT e.*
      FROM events e
      JOIN studies s ON s.id = e.study_id
     WHERE s.team_id = ${teamId} AND e.id > ${options.afterId}
     ORDER BY e.id
     LIMIT ${options.limit}`);
  return rows.map((row) => mapRow(events, row));
}
