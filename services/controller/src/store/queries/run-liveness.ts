// A run whose agent went silent or died without a result is lost. It is run again up to `retries` times
// (the next claim bumps the attempt, so a late result of the lost attempt is ignored); after that it is
// recorded as lost. One statement, so no tick ever sees a lost run that is about to be retried.
import { sql } from 'drizzle-orm';
import { queryRows, type StoreDb } from '../db.js';

export interface LostRun {
  /** 'queued' when it will run again, 'lost' when it has used up its retries. */
  status: 'queued' | 'lost';
  studyId: string;
  experimentId: string;
}

export async function recordLostRun(
  db: StoreDb,
  runId: string,
  attempt: number,
  options: { reason: string; retries: number },
): Promise<LostRun | undefined> {
  // attempt counts from 1, so attempt ≤ retries means there is a retry left. The token is cleared either
  // way: the lost agent may no longer fetch its revision.
  const [row] = await queryRows(db, sql`
    UPDATE runs
       SET status = CASE WHEN attempt <= ${options.retries} THEN 'queued' ELSE 'lost' END,
           reason = ${options.reason},
           token_hash = NULL,
           finished_at = CASE WHEN attempt <= ${options.retries} THEN NULL ELSE now() END
     WHERE id = ${runId} AND attempt = ${attempt} AND status = 'running'
 RETURNING status, study_id, experiment_id`);
  if (!row) return undefined;
  return { status: row.status as LostRun['status'], studyId: String(row.study_id), experimentId: String(row.experiment_id) };
}
