// Reading what skill runs produced. Written by ingest-result.ts, in the statement that records the result.
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { runs, skillOutputs, type SkillOutputRow } from '../schema.js';

export interface SkillOutputsQuery {
  studyId: string;
  /** Only these experiments' outputs. */
  experimentIds?: string[];
}

/**
 * The outputs of the current attempt of each run, in run order. An earlier attempt's output (a run that
 * was retried after its agent was lost midway) is history, not a result.
 */
export async function listSkillOutputs(db: StoreDb, query: SkillOutputsQuery): Promise<SkillOutputRow[]> {
  const conditions: SQL[] = [eq(skillOutputs.studyId, query.studyId), eq(skillOutputs.attempt, runs.attempt)];
  if (query.experimentIds !== undefined) {
    if (query.experimentIds.length === 0) return [];
    conditions.push(inArray(skillOutputs.experimentId, query.experimentIds));
  }
  const rows = await db
    .select({ output: skillOutputs })
    .from(skillOutputs)
    .innerJoin(runs, eq(runs.id, skillOutputs.runId))
    .where(and(...conditions))
    .orderBy(asc(skillOutputs.experimentId), asc(runs.repeatIndex));
  return rows.map((row) => row.output);
}
