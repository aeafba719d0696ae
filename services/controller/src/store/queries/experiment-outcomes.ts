// The few columns of every experiment that a study's progress is computed from: a study of 20,000
// experiments reads them in milliseconds, where whole rows (diffs, statistics, edits) take a second.
import { asc, eq } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { experiments, type ExperimentRow } from '../schema.js';

export type ExperimentOutcomeRow = Pick<ExperimentRow, 'number' | 'kind' | 'status' | 'outcome' | 'score'>;

export async function listExperimentOutcomes(db: StoreDb, studyId: string): Promise<ExperimentOutcomeRow[]> {
  return db
    .select({ number: experiments.number, kind: experiments.kind, status: experiments.status, outcome: experiments.outcome, score: experiments.score })
    .from(experiments)
    .where(eq(experiments.studyId, studyId))
    .orderBy(asc(experiments.number));
}
