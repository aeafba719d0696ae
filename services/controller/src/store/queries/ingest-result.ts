// Makes an agent's final result durable, exactly once per attempt.
import { param, sql } from 'drizzle-orm';
import type { ResultMessage } from '../../../../../schemas/src/messages.js';
import { isoTimestamp, mapRow, queryRows, type StoreDb } from '../db.js';
import { runs, type RunRow } from '../schema.js';

export interface IngestOutcome {
  /** False when the message was a redelivery or came from an attempt that is no longer current. */
  applied: boolean;
  run?: RunRow;
}

/**
 * Results arrive at least once (JetStream redelivers until the controller acks, and it acks only after
 * this commits), and an agent the controller gave up on may still report. So the update applies only
 * while this exact attempt is running: a redelivered message finds the run finished, a stale one finds
 * a newer attempt, and both change nothing. The final metrics rows, and a skill run's output with its
 * verdicts, are inserted by the same statement (data-modifying CTEs), so they exist exactly when the
 * update did, in one round trip.
 */
export async function ingestResult(db: StoreDb, message: ResultMessage): Promise<IngestOutcome> {
  const names = Object.keys(message.metrics);
  const values = Object.values(message.metrics);
  const finishedAt = isoTimestamp(message.finishedAt);
  const skill = message.skill ?? null;
  const [raw] = await queryRows(
    db,
    sql`
      WITH updated AS (
        UPDATE runs
        SET status = ${message.status},
            exit_code = ${message.exitCode},
            signal = ${message.signal},
            reason = ${message.reason ?? null},
            peak_memory_mb = ${message.peakMemoryMb},
            metrics = ${JSON.stringify(message.metrics)}::jsonb,
            log_tail = ${JSON.stringify(message.logTail)}::jsonb,
            guards = ${message.guards === undefined ? null : JSON.stringify(message.guards)}::jsonb,
            started_at = ${isoTimestamp(message.startedAt)}::timestamptz,
            finished_at = ${finishedAt}::timestamptz
        WHERE id = ${message.runId}
          AND attempt = ${message.attempt}
          AND status = 'running'
        RETURNING *
      ), finals AS (
        INSERT INTO metrics (run_id, attempt, name, value, kind, ts)
        SELECT updated.id, updated.attempt, m.name, m.value, 'final', ${finishedAt}::timestamptz
          FROM updated, unnest(${param(names)}::text[], ${param(values)}::float8[]) WITH ORDINALITY AS m(name, value, position)
         ORDER BY m.position
      ), skill_output AS (
        INSERT INTO skill_outputs (run_id, attempt, study_id, experiment_id, input, holdout, output, verdicts, status, reason,
                                   model_calls, input_tokens, output_tokens)
        SELECT updated.id, updated.attempt, updated.study_id, updated.experiment_id, ${skill?.input ?? ''}, ${skill?.holdout ?? false},
               ${skill?.output ?? ''}, ${JSON.stringify(skill?.verdicts ?? [])}::jsonb, ${message.status}, ${message.reason ?? null},
               ${skill?.modelCalls ?? 0}, ${skill?.inputTokens ?? 0}, ${skill?.outputTokens ?? 0}
          FROM updated
         WHERE ${skill !== null}
      )
      SELECT * FROM updated`,
  );
  return raw ? { applied: true, run: mapRow(runs, raw) } : { applied: false };
}
