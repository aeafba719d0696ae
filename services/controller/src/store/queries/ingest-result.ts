// Makes an agent's final result durable, exactly once per attempt.
import { sql } from 'drizzle-orm';
import type { ResultMessage } from '../../../../../schemas/src/messages.js';
import { isoTimestamp, mapRow, queryRows, type StoreDb } from '../db.js';
import { metrics, runs, type RunRow } from '../schema.js';

export interface IngestOutcome {
  /** False when the message was a redelivery or came from an attempt that is no longer current. */
  applied: boolean;
  run?: RunRow;
}

/**
 * Results arrive at least once (JetStream redelivers until the controller acks, and it acks only after
 * this commits), and an agent the controller gave up on may still report. So the update applies only
 * while this exact attempt is running: a redelivered message finds the run finished, a stale one finds
 * a newer attempt, and both change nothing. The final metrics rows are written in the same transaction,
 * so they exist exactly when the update did.
 */
export async function ingestResult(db: StoreDb, message: ResultMessage): Promise<IngestOutcome> {
  return db.transaction(async (tx) => {
    const [raw] = await queryRows(
      tx,
      sql`
        UPDATE runs
        SET status = ${message.status},
            exit_code = ${message.exitCode},
            signal = ${message.signal},
            reason = ${message.reason ?? null},
            peak_memory_mb = ${message.peakMemoryMb},
            metrics = ${JSON.stringify(message.metrics)}::jsonb,
            log_tail = ${JSON.stringify(message.logTail)}::jsonb,
            started_at = ${isoTimestamp(message.startedAt)}::timestamptz,
            finished_at = ${isoTimestamp(message.finishedAt)}::timestamptz
        WHERE id = ${message.runId}
          AND attempt = ${message.attempt}
          AND status = 'running'
        RETURNING *`,
    );
    if (!raw) return { applied: false };
    const finals = Object.entries(message.metrics).map(([name, value]) => ({
      runId: message.runId,
      attempt: message.attempt,
      name,
      value,
      kind: 'final' as const,
      ts: new Date(message.finishedAt),
    }));
    if (finals.length > 0) await tx.insert(metrics).values(finals);
    return { applied: true, run: mapRow(runs, raw) };
  });
}
