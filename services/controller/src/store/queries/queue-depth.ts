// What /metrics reads from the database at scrape time: the shared queue per team, and studies by status.
import { sql } from 'drizzle-orm';
import { queryRows, type StoreDb } from '../db.js';

export interface TeamQueue {
  team: string;
  queued: number;
  running: number;
}

/**
 * Every team, with the queued and running runs of its active studies (0 when it has none, so a drained
 * queue reads 0 rather than vanishing). Runs are reached through active studies only, by the
 * (study_id, status) index: a scrape costs the same however many finished runs the database holds.
 */
export async function countRunsPerTeam(db: StoreDb): Promise<TeamQueue[]> {
  const rows = await queryRows(
    db,
    sql`
      SELECT t.name AS team,
             count(r.id) FILTER (WHERE r.status = 'queued')::int AS queued,
             count(r.id) FILTER (WHERE r.status = 'running')::int AS running
      FROM teams t
      LEFT JOIN studies s ON s.team_id = t.id AND s.status IN ('running', 'paused', 'stopping')
      LEFT JOIN runs r ON r.study_id = s.id AND r.status IN ('queued', 'running')
      GROUP BY t.name
      ORDER BY t.name`,
  );
  return rows.map((row) => ({ team: String(row.team), queued: Number(row.queued), running: Number(row.running) }));
}

export async function countStudiesByStatus(db: StoreDb): Promise<{ status: string; studies: number }[]> {
  const rows = await queryRows(db, sql`SELECT status, count(*)::int AS studies FROM studies GROUP BY status ORDER BY status`);
  return rows.map((row) => ({ status: String(row.status), studies: Number(row.studies) }));
}
