// Adoption between branches (search.adoptEvery): a lagging branch takes the best branch's head. The
// branch's round, its new head and the adoption's record are written together, guarded by the round and the
// head the decision was made on, so two controllers adopt once and a head that moved meanwhile is not lost.
import { and, eq, lt } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { branches, type ExperimentRow } from '../schema.js';
import type { BranchHead } from './branches.js';
import { appendEventInTransaction } from './events.js';
import { createExperiment, type NewExperiment } from './experiments.js';

/** Records that a branch was compared in this round and kept its head. False when it already was. */
export async function markAdoptionRound(db: StoreDb, branchId: string, round: number): Promise<boolean> {
  const rows = await db
    .update(branches)
    .set({ adoptionRound: round })
    .where(and(eq(branches.id, branchId), lt(branches.adoptionRound, round)))
    .returning({ id: branches.id });
  return rows.length > 0;
}

export interface Adoption {
  branchId: string;
  round: number;
  /** The head the decision was made on: the adoption is skipped if the branch has moved since. */
  fromHeadRevisionId: string;
  head: BranchHead;
  /** The record: kind adopt, decided when created, with no runs. */
  record: Omit<NewExperiment, 'kind' | 'runIds' | 'outcome' | 'repeats' | 'maxExperiments' | 'generationCap'>;
}

/** The adoption's record, or undefined when another controller made it (or the branch moved) first. */
export async function adoptHead(db: StoreDb, adoption: Adoption): Promise<ExperimentRow | undefined> {
  return db.transaction(async (tx) => {
    const moved = await tx
      .update(branches)
      .set({
        adoptionRound: adoption.round,
        headRevisionId: adoption.head.revisionId,
        headExperimentId: adoption.head.experimentId,
        headScore: adoption.head.score,
        headValues: adoption.head.values,
        ...(adoption.head.stageValues !== undefined && { headStageValues: adoption.head.stageValues }),
      })
      .where(and(eq(branches.id, adoption.branchId), lt(branches.adoptionRound, adoption.round), eq(branches.headRevisionId, adoption.fromHeadRevisionId)))
      .returning({ id: branches.id });
    if (moved.length === 0) return undefined;
    const created = await createExperiment(tx, { ...adoption.record, kind: 'adopt', runIds: [], repeats: 0, outcome: 'adopted' });
    await appendEventInTransaction(tx, created.studyId, 'branch.adopted', {
      experimentId: created.id,
      number: created.number,
      branchId: adoption.branchId,
      revisionId: adoption.head.revisionId,
      reason: created.reason,
    });
    return created;
  });
}
