// Runs that are evidence about a revision beyond one experiment's own (decision.maxRepeats): the extra runs
// of a head that adaptive repeats queued beside its candidates, and the runs of a change tried before from
// the same head, whose discard was within the noise. The scheduler pools them into the comparison.
import { and, asc, eq, lt } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { experiments, runs, type RunRow } from '../schema.js';

/** The head's succeeded reference runs at one stage, from every experiment of the study that ran them. */
export async function listReferenceRuns(db: StoreDb, query: { studyId: string; revisionId: string; stage: number }): Promise<RunRow[]> {
  return db
    .select()
    .from(runs)
    .where(and(
      eq(runs.studyId, query.studyId),
      eq(runs.revisionId, query.revisionId),
      eq(runs.role, 'reference'),
      eq(runs.status, 'succeeded'),
      eq(runs.stage, query.stage),
    ))
    .orderBy(asc(runs.createdAt), asc(runs.id));
}

export interface EarlierTriesQuery {
  branchId: string;
  parentRevisionId: string;
  candidateRevisionId: string;
  /** Experiments numbered below this one. */
  beforeNumber: number;
  stage: number;
}

/** The succeeded working runs, at one stage, of the earlier tries of the same change from the same head that were discarded. */
export async function listEarlierTries(db: StoreDb, query: EarlierTriesQuery): Promise<{ number: number; run: RunRow }[]> {
  return db
    .select({ number: experiments.number, run: runs })
    .from(runs)
    .innerJoin(experiments, eq(experiments.id, runs.experimentId))
    .where(and(
      eq(experiments.branchId, query.branchId),
      eq(experiments.parentRevisionId, query.parentRevisionId),
      eq(experiments.candidateRevisionId, query.candidateRevisionId),
      lt(experiments.number, query.beforeNumber),
      eq(experiments.status, 'decided'),
      eq(experiments.outcome, 'discard'),
      eq(runs.role, 'working'),
      eq(runs.status, 'succeeded'),
      eq(runs.stage, query.stage),
    ))
    .orderBy(asc(experiments.number), asc(runs.repeatIndex));
}
