// The score chart's data: every experiment of a study as parallel columns, so 20,000 points travel as a
// few arrays in one response instead of 20,000 objects.
import { sql } from 'drizzle-orm';
import { queryRows, type StoreDb } from '../db.js';
import type { ExperimentOutcome } from '../schema.js';

/** The longest description a point carries: enough for a table row; the experiment page has the rest. */
export const POINT_DESCRIPTION_CHARS = 120;

export interface StudyPoints {
  number: number[];
  /** The branch's index (0, 1, …), not its id. */
  branch: number[];
  /** Null while the experiment is pending. */
  outcome: (ExperimentOutcome | null)[];
  score: (number | null)[];
  /** Milliseconds since the epoch; null while pending. */
  decidedAt: (number | null)[];
  description: string[];
}

export interface ListPointsOptions {
  afterNumber?: number;
  limit: number;
}

/** In experiment order, through the (study_id, number) unique index. */
export async function listStudyPoints(db: StoreDb, studyId: string, options: ListPointsOptions): Promise<StudyPoints> {
  const rows = await queryRows(db, sql`
    SELECT e.number, b.index AS branch, e.outcome, e.score,
           (extract(epoch FROM e.decided_at) * 1000)::float8 AS decided_ms,
           left(e.description, ${POINT_DESCRIPTION_CHARS}) AS description
      FROM experiments e
      JOIN branches b ON b.id = e.branch_id
     WHERE e.study_id = ${studyId} AND e.number > ${options.afterNumber ?? -1}
     ORDER BY e.number
     LIMIT ${options.limit}`);
  const points: StudyPoints = { number: [], branch: [], outcome: [], score: [], decidedAt: [], description: [] };
  for (const row of rows) {
    points.number.push(Number(row.number));
    points.branch.push(Number(row.branch));
    points.outcome.push((row.outcome as ExperimentOutcome | null) ?? null);
    points.score.push(row.score === null ? null : Number(row.score));
    points.decidedAt.push(row.decided_ms === null ? null : Math.round(Number(row.decided_ms)));
    points.description.push(String(row.description ?? ''));
  }
  return points;
}
