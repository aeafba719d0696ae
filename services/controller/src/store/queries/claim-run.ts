// Hands the next queued run to a free slot.
import { sql } from 'drizzle-orm';
import { mapRow, queryRows, type StoreDb } from '../db.js';
import { runs, type RunRow } from '../schema.js';

export interface ClaimRequest {
  /** The studies this slot may take work from, as the scheduler's fair share chose them. */
  studyIds: string[];
  slot: string;
  /** sha256 of the run-scoped token the agent will present. */
  tokenHash: string;
  host: string;
}

/**
 * One statement, as in graphile-worker: the subquery picks the oldest queued run (experiment number,
 * then repeat index) of the given studies that are still running, and locks it; SKIP LOCKED makes a
 * concurrent claimer pass over it to the next run instead of waiting, so two slots never get the same
 * run and never block each other. `FOR UPDATE OF r` locks only the run: locking the joined study and
 * experiment rows too would make claims skip every run of a study whose row someone else holds.
 * The outer status check is redundant with the lock; it keeps a run from being handed out twice even
 * if someone edits the subquery carelessly. The attempt is bumped here, so a result from any earlier
 * attempt is recognizably stale.
 */
export async function claimQueuedRun(db: StoreDb, request: ClaimRequest): Promise<RunRow | undefined> {
  if (request.studyIds.length === 0) return undefined;
  const studyIds = sql.join(
    request.studyIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const [row] = await queryRows(
    db,
    sql`
      UPDATE runs
      SET status = 'running',
          attempt = attempt + 1,
          token_hash = ${request.tokenHash},
          slot = ${request.slot},
          host = ${request.host},
          started_at = now(),
          heartbeat_at = now(),
          finished_at = NULL,
          exit_code = NULL,
          signal = NULL,
          reason = NULL,
          peak_memory_mb = NULL,
          metrics = NULL,
          log_tail = NULL
      WHERE id = (
        SELECT r.id
        FROM runs r
        JOIN experiments e ON e.id = r.experiment_id
        JOIN studies s ON s.id = r.study_id
        WHERE r.status = 'queued'
          AND r.study_id IN (${studyIds})
          AND s.status = 'running'
        ORDER BY e.number, r.repeat_index, r.created_at, r.id
        LIMIT 1
        FOR UPDATE OF r SKIP LOCKED
      )
      AND status = 'queued'
      RETURNING *`,
  );
  return row && mapRow(runs, row);
}
