// The holdout inputs are scored twice: at the baseline, and at the end on the best revision. Scoring
// them in between would let the loop tune the skill to them, and then they would prove nothing.
import { randomUUID } from 'node:crypto';
import type { StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { hasEnded } from './decide-experiment.js';
import { holdoutRunsOf } from './study-lifecycle.js';

export interface FinalHoldoutState {
  /** The experiment whose candidate is the best revision. */
  experimentNumber: number;
  /** Holdout runs queued by this call (0 when they were there already, as on the baseline). */
  added: number;
  /** Every holdout run of the best revision has ended. */
  done: boolean;
}

/** Queues the best revision's holdout runs if it has none, and says whether they have all ended. */
export async function ensureFinalHoldout(store: Store, study: StudyRow): Promise<FinalHoldoutState> {
  const best = await bestHeadExperiment(store, study.id);
  const runs = await store.listRuns(best.id);
  const holdout = runs.filter((r) => r.role === 'holdout');
  if (holdout.length === 0) {
    const added = await store.addRuns({
      experimentId: best.id,
      runIds: Array.from({ length: holdoutRunsOf(study.spec) }, () => randomUUID()),
      role: 'holdout',
      whenCount: 0,
    });
    return { experimentNumber: best.number, added, done: false };
  }
  return { experimentNumber: best.number, added: 0, done: holdout.every(hasEnded) };
}

/** The experiment behind the best branch head (a skill study maximizes; ties go to the lowest branch). */
export async function bestHeadExperiment(store: Store, studyId: string) {
  const branches = (await store.listBranches(studyId)).filter((b) => b.headExperimentId !== null && b.headScore !== null);
  const best = branches.reduce<(typeof branches)[number] | undefined>((top, b) => (top === undefined || b.headScore! > top.headScore! ? b : top), undefined);
  if (!best) throw new Error(`study ${studyId} has no decided branch head to score on the holdout inputs`);
  const experiment = await store.getExperiment(best.headExperimentId!);
  if (!experiment) throw new Error(`experiment ${best.headExperimentId} is missing`);
  return experiment;
}
