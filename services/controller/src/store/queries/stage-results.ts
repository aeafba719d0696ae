// Candidates' results at one stage (spec.stages), for the top-fraction promotion rule: each is ranked
// among the ones its branch screened before it at the same stage.
import { sql } from 'drizzle-orm';
import { queryRows, type StoreDb } from '../db.js';

export interface StageMeansQuery {
  branchId: string;
  stage: number;
  metric: string;
  /** Candidates numbered below this one. */
  beforeNumber: number;
  limit: number;
}

/**
 * The mean of each candidate's working runs at the stage, newest first: only candidates whose every run
 * there ended with the metric (a crash at the stage is not a result to rank against).
 */
export async function listStageMeans(db: StoreDb, query: StageMeansQuery): Promise<{ number: number; mean: number }[]> {
  const rows = await queryRows(db, sql`
    SELECT e.number, avg((r.metrics ->> ${query.metric})::float8) AS mean
      FROM experiments e
      JOIN runs r ON r.experiment_id = e.id AND r.stage = ${query.stage} AND r.role = 'working'
     WHERE e.branch_id = ${query.branchId} AND e.kind = 'candidate' AND e.number < ${query.beforeNumber}
     GROUP BY e.id, e.number
    HAVING bool_and(r.status = 'succeeded' AND r.metrics ->> ${query.metric} IS NOT NULL)
     ORDER BY e.number DESC
     LIMIT ${query.limit}`);
  return rows.map((row) => ({ number: Number(row.number), mean: Number(row.mean) }));
}

export interface StagePairsQuery {
  studyId: string;
  stage: number;
  metric: string;
  beforeNumber: number;
  limit: number;
}

/**
 * The candidates of the study that ran the stage and the next one, newest first, each with its mean at both
 * (succeeded working runs): how well the stage has predicted the next.
 */
export async function listStagePairs(db: StoreDb, query: StagePairsQuery): Promise<{ number: number; at: number; next: number }[]> {
  const value = sql`(r.metrics ->> ${query.metric})::float8`;
  const rows = await queryRows(db, sql`
    SELECT e.number,
           avg(${value}) FILTER (WHERE r.stage = ${query.stage}) AS at,
           avg(${value}) FILTER (WHERE r.stage = ${query.stage + 1}) AS next
      FROM experiments e
      JOIN runs r ON r.experiment_id = e.id AND r.role = 'working' AND r.status = 'succeeded' AND r.metrics ->> ${query.metric} IS NOT NULL
     WHERE e.study_id = ${query.studyId} AND e.kind = 'candidate' AND e.number < ${query.beforeNumber} AND e.stage_reached > ${query.stage}
     GROUP BY e.id, e.number
    HAVING count(*) FILTER (WHERE r.stage = ${query.stage}) > 0 AND count(*) FILTER (WHERE r.stage = ${query.stage + 1}) > 0
     ORDER BY e.number DESC
     LIMIT ${query.limit}`);
  return rows.map((row) => ({ number: Number(row.number), at: Number(row.at), next: Number(row.next) }));
}

/**
 * How many candidates of the study before this one the stage's rule turned away: screened out (refused),
 * or promoted anyway to check the screen (audited).
 */
export async function countStageRefusals(db: StoreDb, query: { studyId: string; stage: number; beforeNumber: number }): Promise<{ refused: number; audited: number }> {
  const [row] = await queryRows(db, sql`
    SELECT count(*) FILTER (WHERE v ->> 'promoted' = 'false')::int AS refused,
           count(*) FILTER (WHERE v ->> 'audited' = 'true')::int AS audited
      FROM experiments e, jsonb_array_elements(e.stage_verdicts) AS v
     WHERE e.study_id = ${query.studyId} AND e.kind = 'candidate' AND e.number < ${query.beforeNumber} AND (v ->> 'stage')::int = ${query.stage}`);
  return { refused: Number(row?.refused ?? 0), audited: Number(row?.audited ?? 0) };
}
