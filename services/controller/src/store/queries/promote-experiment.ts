// Promotion (spec.stages): a candidate promising at one stage gets its runs at the next. The runs, the
// stage it reached and the verdict that promoted it are written together, once: two controllers making
// the same decision promote it once.
import { eq, sql } from 'drizzle-orm';
import { NotFoundError } from '../../errors.js';
import { queryRows, type StoreDb } from '../db.js';
import { experiments, runs, type StageVerdict } from '../schema.js';
import { appendEventInTransaction } from './events.js';

export interface Promotion {
  experimentId: string;
  /** The stage it was screened at; nothing happens unless that is still the furthest it has reached. */
  fromStage: number;
  toStage: number;
  /** One queued working run per id, at toStage. */
  runIds: string[];
  verdict: StageVerdict;
  /** The stage it goes to, for the event. */
  toStageName: string;
}

/** Returns whether it was promoted: false when another controller did it first, or it was decided meanwhile. */
export async function promoteExperiment(db: StoreDb, promotion: Promotion): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [experiment] = await tx.select().from(experiments).where(eq(experiments.id, promotion.experimentId));
    if (!experiment?.candidateRevisionId) throw new NotFoundError(`experiment ${promotion.experimentId} with a candidate`);
    // The study lock, as every change to a study's experiments and runs takes it, then the guard.
    await queryRows(tx, sql`SELECT id FROM studies WHERE id = ${experiment.studyId} FOR NO KEY UPDATE`);
    const moved = await queryRows(tx, sql`
      UPDATE experiments
         SET stage_reached = ${promotion.toStage},
             stage_verdicts = stage_verdicts || ${JSON.stringify([promotion.verdict])}::jsonb,
             repeats = repeats + ${promotion.runIds.length}
       WHERE id = ${promotion.experimentId} AND status = 'pending' AND stage_reached = ${promotion.fromStage}
   RETURNING id`);
    if (moved.length === 0 || promotion.runIds.length === 0) return moved.length > 0;
    const [existing] = await queryRows(tx, sql`SELECT coalesce(max(repeat_index) + 1, 0)::int AS next FROM runs WHERE experiment_id = ${promotion.experimentId}`);
    const next = Number(existing!.next);
    await tx.insert(runs).values(
      promotion.runIds.map((id, i) => ({
        id,
        studyId: experiment.studyId,
        experimentId: experiment.id,
        revisionId: experiment.candidateRevisionId!,
        repeatIndex: next + i,
        role: 'working' as const,
        stage: promotion.toStage,
      })),
    );
    await appendEventInTransaction(tx, experiment.studyId, 'experiment.promoted', {
      experimentId: experiment.id,
      number: experiment.number,
      fromStage: promotion.verdict.name,
      toStage: promotion.toStageName,
      runs: promotion.runIds.length,
      summary: promotion.verdict.summary,
    });
    return true;
  });
}
