// Records the keep/discard decision of an experiment. The rule itself lives in decisions/; this only
// makes its result durable, exactly once.
import { and, eq, sql } from 'drizzle-orm';
import { NotFoundError } from '../../errors.js';
import type { StoreDb } from '../db.js';
import { experiments, studies, type DecisionStats, type ExperimentOutcome, type StageVerdict } from '../schema.js';
import { moveBranchHead, moveEveryBranchHead, type BranchHead } from './branches.js';
import { appendEventInTransaction } from './events.js';

export interface ExperimentDecision {
  experimentId: string;
  outcome: ExperimentOutcome;
  reason: string;
  score: number | null;
  peakMemoryMb: number | null;
  stats: DecisionStats | null;
  /** Given when the candidate becomes the branch's head (a keep, or a baseline). */
  newHead?: BranchHead & { branchId: string };
  /**
   * Given for a study's baseline: every branch starts from its head, and the study keeps its measured
   * run-to-run spread. Part of the same transaction, so a controller killed right after the decision
   * never leaves a branch without a head for the next controller to trip over.
   */
  baseline?: { noiseSigma: number | null };
  /** Given for a re-measurement: the study's run-to-run spread, measured afresh on its best head. */
  noise?: { noiseSigma: number | null };
  /** Given for a candidate screened out at a stage before the last: that stage's verdict, kept with the others. */
  stageVerdict?: StageVerdict;
}

/**
 * Returns false, changing nothing, when the experiment was already decided: a controller that restarts
 * mid-decision, or two results racing to be the last one, must never decide (or move a head) twice.
 */
export async function decideExperiment(db: StoreDb, decision: ExperimentDecision): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [experiment] = await tx
      .update(experiments)
      .set({
        status: 'decided',
        outcome: decision.outcome,
        reason: decision.reason,
        score: decision.score,
        peakMemoryMb: decision.peakMemoryMb,
        stats: decision.stats,
        decidedAt: sql`now()`,
        ...(decision.stageVerdict && { stageVerdicts: sql`${experiments.stageVerdicts} || ${JSON.stringify([decision.stageVerdict])}::jsonb` }),
      })
      .where(and(eq(experiments.id, decision.experimentId), eq(experiments.status, 'pending')))
      .returning();
    if (!experiment) return false;
    const { newHead } = decision;
    if (newHead && !(await moveBranchHead(tx, newHead.branchId, newHead))) {
      throw new NotFoundError(`branch ${newHead.branchId}`); // rolls the decision back with it
    }
    if (newHead && decision.baseline) {
      await moveEveryBranchHead(tx, experiment.studyId, newHead);
      await tx.update(studies).set({ noiseSigma: decision.baseline.noiseSigma }).where(eq(studies.id, experiment.studyId));
    } else if (decision.noise) {
      await tx.update(studies).set({ noiseSigma: decision.noise.noiseSigma }).where(eq(studies.id, experiment.studyId));
    }
    await appendEventInTransaction(tx, experiment.studyId, 'experiment.decided', {
      experimentId: experiment.id,
      number: experiment.number,
      branchId: experiment.branchId,
      outcome: decision.outcome,
      reason: decision.reason,
      score: decision.score,
      headMoved: newHead !== undefined,
    });
    return true;
  });
}
