// What a study has cost so far, summed in SQL so that 20,000 experiments cost one scan each of runs and
// experiments, not 20,000 rows in JavaScript.
import { sql } from 'drizzle-orm';
import { queryRows, type StoreDb } from '../db.js';

export interface StudyCost {
  /** Runs that have started (the current attempt of each). */
  runs: number;
  /** Wall time of those runs, a running one up to now: slot time, whatever the slot. */
  runHours: number;
  /**
   * runHours weighted by the GPUs each run held: 1 on a `gpu:N` slot, `run.kubernetes.gpus` (default 1)
   * in a cluster pool, 0 on a CPU slot.
   */
  gpuHours: number;
  /** What proposing changes cost: the mutator's model calls, tokens by kind, and USD. */
  mutator: { calls: number; inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; costUsd: number };
  /** Skill studies: the target and judge model calls the runs made (priced by the provider, not here). */
  skillRuns: { calls: number; inputTokens: number; outputTokens: number };
}

/**
 * A retried run's earlier attempts are not counted: only the current attempt's times are recorded. A run
 * that ended without a finish time (lost) counts up to its last heartbeat.
 */
export async function getStudyCost(db: StoreDb, studyId: string, options: { skill: boolean }): Promise<StudyCost> {
  const [runs] = await queryRows(db, sql`
    WITH timed AS (
      SELECT extract(epoch FROM (
               CASE WHEN r.status = 'running' THEN now() ELSE coalesce(r.finished_at, r.heartbeat_at, r.started_at) END
               - r.started_at))::float8 AS seconds,
             CASE WHEN r.slot LIKE 'gpu:%' THEN 1
                  WHEN r.slot IS NULL OR r.slot LIKE 'cpu:%' THEN 0
                  ELSE coalesce((s.spec #>> '{run,kubernetes,gpus}')::int, 1) END AS gpus
        FROM runs r
        JOIN studies s ON s.id = r.study_id
       WHERE r.study_id = ${studyId} AND r.status <> 'queued' AND r.started_at IS NOT NULL
    )
    SELECT count(*)::int AS runs, coalesce(sum(greatest(seconds, 0)), 0)::float8 AS seconds,
           coalesce(sum(greatest(seconds, 0) * gpus), 0)::float8 AS gpu_seconds
      FROM timed`);
  const [usage] = await queryRows(db, sql`
    SELECT coalesce(sum((model_usage ->> 'calls')::float8), 0) AS calls,
           coalesce(sum((model_usage ->> 'inputTokens')::float8), 0) AS input_tokens,
           coalesce(sum((model_usage ->> 'outputTokens')::float8), 0) AS output_tokens,
           coalesce(sum((model_usage ->> 'cacheCreationTokens')::float8), 0) AS cache_creation_tokens,
           coalesce(sum((model_usage ->> 'cacheReadTokens')::float8), 0) AS cache_read_tokens,
           coalesce(sum((model_usage ->> 'costUsd')::float8), 0) AS cost_usd
      FROM experiments
     WHERE study_id = ${studyId} AND model_usage IS NOT NULL`);
  // Every attempt's calls count: a retried run's first attempt was paid for too.
  const [skill] = options.skill
    ? await queryRows(db, sql`
        SELECT coalesce(sum(o.model_calls), 0)::float8 AS calls, coalesce(sum(o.input_tokens), 0)::float8 AS input_tokens,
               coalesce(sum(o.output_tokens), 0)::float8 AS output_tokens
          FROM experiments e
          JOIN skill_outputs o ON o.experiment_id = e.id
         WHERE e.study_id = ${studyId}`)
    : [{ calls: 0, input_tokens: 0, output_tokens: 0 }];
  return {
    runs: Number(runs!.runs),
    runHours: Number(runs!.seconds) / 3600,
    gpuHours: Number(runs!.gpu_seconds) / 3600,
    mutator: {
      calls: Number(usage!.calls),
      inputTokens: Number(usage!.input_tokens),
      outputTokens: Number(usage!.output_tokens),
      cacheCreationTokens: Number(usage!.cache_creation_tokens),
      cacheReadTokens: Number(usage!.cache_read_tokens),
      costUsd: Number(usage!.cost_usd),
    },
    skillRuns: { calls: Number(skill!.calls), inputTokens: Number(skill!.input_tokens), outputTokens: Number(skill!.output_tokens) },
  };
}
