// A run whose agent went silent or died without a result is lost (and so is one its machine stopped:
// an agent that got SIGTERM from an eviction or a shutdown reports `stopped` while its study runs on). It is run again up to `retries` times
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
  options: { reason: string; retries: number; from?: 'running' | 'stopped' },
): Promise<LostRun | undefined> {
  // attempt counts from 1, so attempt ≤ retries means there is a retry left. The token is cleared either
  // way: the lost agent may no longer fetch its revision.
  const [row] = await queryRows(db, sql`
    UPDATE runs
       SET status = CASE WHEN attempt <= ${options.retries} THEN 'queued' ELSE 'lost' END,
           reason = ${options.reason},
           token_hash = NULL,
           finished_at = CASE WHEN attempt <= ${options.retries} THEN NULL ELSE now() END
     WHERE id = ${runId} AND attempt = ${attempt} AND status = ${options.from ?? 'running'}
 RETURNING status, study_id, experiment_id`);
  if (!row) return undefined;
  return { status: row.status as LostRun['status'], studyId: String(row.study_id), experimentId: String(row.experiment_id) };
}

/**
 * Ends a running attempt with what the executor found: `crashed` (the OOM killer) or `stopped` (its study
 * stopped before the agent started). The OOM killer usually takes the training process rather than the
 * agent, which then reports a plain crash ("killed by SIGKILL") before the cluster says OOMKilled: a
 * crash recorded that way gets the executor's reason in front of the agent's.
 */
export async function recordRunEnd(
  db: StoreDb,
  runId: string,
  attempt: number,
  end: { status: 'crashed' | 'stopped'; reason: string },
): Promise<{ studyId: string } | undefined> {
  const [row] = await queryRows(db, sql`
    UPDATE runs
       SET reason = CASE WHEN status = 'running' OR reason IS NULL THEN ${end.reason} ELSE ${end.reason} || '; the agent said: ' || reason END,
           status = ${end.status},
           token_hash = NULL,
           finished_at = coalesce(finished_at, now())
     WHERE id = ${runId} AND attempt = ${attempt}
       AND (status = 'running' OR (status = 'crashed' AND ${end.status} = 'crashed' AND position(${end.reason} IN coalesce(reason, '')) = 0))
 RETURNING study_id`);
  return row ? { studyId: String(row.study_id) } : undefined;
}
