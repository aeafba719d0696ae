// Hands the next queued run to a free slot, sharing the slots fairly between studies and teams.
import { param, sql, type SQL } from 'drizzle-orm';
import { mapRow, queryRows, type StoreDb } from '../db.js';
import { runs, type RunRow } from '../schema.js';

export interface ClaimRequest {
  /** The studies this slot may take work from; every running study when absent. */
  studyIds?: string[];
  slot: string;
  /** sha256 of the run-scoped token the agent will present. */
  tokenHash: string;
  host: string;
  /**
   * A cluster pool shared by every controller (Kubernetes): the claim then takes a run only if its GPUs
   * fit in what the pool has left. Used is the union of the pool's running runs in the database (some
   * not in the cluster yet) and `holders`, what the cluster shows holding GPUs (some no longer running
   * in the database: an agent that reported but whose pod has not exited yet).
   */
  pool?: { total: number; holders: { runId: string; gpus: number }[] };
}

/**
 * GPUs one run takes: its stage's GPU class's `gpus` (spec.stages[run.stage].gpuClass), else
 * `run.kubernetes.gpus`, default 1, and at least 1 so that CPU-only runs are bounded by the pool too.
 * Mirrors resolveKubernetesRun.
 */
const runGpus = (study: 's' | 'ps', run: 'r' | 'pr') => {
  const [s, r] = [sql.raw(study), sql.raw(run)];
  return sql`greatest(coalesce(
    (${s}.spec -> 'run' -> 'kubernetes' -> 'gpuClasses' -> (${s}.spec -> 'stages' -> ${r}.stage ->> 'gpuClass') ->> 'gpus')::int,
    (${s}.spec #>> '{run,kubernetes,gpus}')::int, 1), 1)`;
};

/** One lock for every pool claim in the database: pool claims from all replicas take turns. */
const POOL_CLAIM_LOCK = 0x61725f706f6f6c; // "ar_pool"

/**
 * One statement, as in graphile-worker, so the choice and the claim can never disagree.
 *
 * Fair share: `running` counts each study's running runs and `team_running` each team's. A candidate
 * is a running study (of `studyIds`, if given) whose team is under its `quota_slots`. Its share is
 * running runs / priority; the smallest share goes first, so a study just submitted to a busy queue
 * (share 0) takes the next free slot and a priority-2 study settles at twice the slots of a priority-1
 * one. Ties go to the study waiting longest (its oldest queued run), then to the oldest study. Within a
 * study, runs go in queue order: experiment number, then repeat index. In a pool, a run whose GPUs do not
 * fit is passed over for the next one that does (runs of one study differ in size when its stages name GPU
 * classes of different sizes).
 *
 * Locking: the outer SELECT orders every queued run of the candidates by that rank and takes the
 * first one it can lock. SKIP LOCKED makes a concurrent claimer pass over a run being claimed to the
 * next (of the same study, or of the next study in rank) instead of waiting, so two slots never get the
 * same run and never block each other. `FOR UPDATE OF r` locks only the run: locking the study or team
 * rows too would serialize every claim of a team. The counts come from the statement's snapshot, so
 * claims racing from several controllers can each see the other's run as not yet running; a quota is
 * exact for one controller (its scheduler claims slot after slot) and can be overshot by a run per
 * concurrent claimer otherwise. The outer status check is redundant with the lock; it keeps a run from
 * being handed out twice even if someone edits the subquery carelessly. The attempt is bumped here, so
 * a result from any earlier attempt is recognizably stale.
 */
export async function claimQueuedRun(db: StoreDb, request: ClaimRequest): Promise<RunRow | undefined> {
  if (request.studyIds?.length === 0) return undefined;
  const { pool } = request;
  if (!pool) return claimStatement(db, request, sql`TRUE`);
  // Under READ COMMITTED each statement takes its snapshot when it starts, so the claim that follows the
  // lock sees every pool claim committed before it: the sum below cannot be stale.
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${POOL_CLAIM_LOCK})`);
    const running = sql`pr.status = 'running' AND pr.slot = ${request.slot}`;
    const fits = sql`${runGpus('s', 'r')} <= ${pool.total}::int
      - (SELECT coalesce(sum(${runGpus('ps', 'pr')}), 0)::int FROM runs pr JOIN studies ps ON ps.id = pr.study_id WHERE ${running})
      - (SELECT coalesce(sum(h.gpus), 0)::int
           FROM unnest(${param(pool.holders.map((h) => h.runId))}::text[], ${param(pool.holders.map((h) => h.gpus))}::int[]) AS h(run_id, gpus)
          WHERE NOT EXISTS (SELECT 1 FROM runs pr WHERE pr.id = h.run_id AND ${running}))`;
    return claimStatement(tx, request, fits);
  });
}

async function claimStatement(db: StoreDb, request: ClaimRequest, fits: SQL): Promise<RunRow | undefined> {
  const studyFilter =
    request.studyIds === undefined
      ? sql`TRUE`
      : sql`s.id IN (${sql.join(
          request.studyIds.map((id) => sql`${id}`),
          sql`, `,
        )})`;
  const [row] = await queryRows(
    db,
    sql`
      WITH running AS (
        SELECT study_id, count(*) AS n
        FROM runs
        WHERE status = 'running'
        GROUP BY study_id
      ), team_running AS (
        SELECT s.team_id, sum(running.n) AS n
        FROM running
        JOIN studies s ON s.id = running.study_id
        GROUP BY s.team_id
      ), candidates AS (
        SELECT s.id,
               coalesce(running.n, 0)::float8 / s.priority AS share,
               (SELECT min(q.created_at) FROM runs q WHERE q.study_id = s.id AND q.status = 'queued') AS waiting_since,
               s.created_at
        FROM studies s
        JOIN teams t ON t.id = s.team_id
        LEFT JOIN running ON running.study_id = s.id
        LEFT JOIN team_running ON team_running.team_id = s.team_id
        WHERE s.status IN ('running', 'paused')
          AND ${studyFilter}
          AND (t.quota_slots IS NULL OR coalesce(team_running.n, 0) < t.quota_slots)
      )
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
          log_tail = NULL,
          guards = NULL
      WHERE id = (
        SELECT r.id
        FROM runs r
        JOIN candidates c ON c.id = r.study_id
        JOIN studies s ON s.id = r.study_id
        JOIN experiments e ON e.id = r.experiment_id
        WHERE r.status = 'queued'
          AND ${fits}
        ORDER BY c.share, c.waiting_since, c.created_at, c.id, e.number, r.repeat_index, r.created_at, r.id
        LIMIT 1
        FOR UPDATE OF r SKIP LOCKED
      )
      AND status = 'queued'
      RETURNING *`,
  );
  return row && mapRow(runs, row);
}
