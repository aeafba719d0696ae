// Screen, then promote, when the screen does not predict (spec.stages): once a first stage has been
// calibrated and its results have not predicted the next stage's, screening every candidate only adds its
// cost, since an untrusted screen promotes everything anyway. So a new candidate skips it and starts at the
// next stage; but one in ⌈1/promote.audit⌉ is still screened (and promoted, unjudged), so the evidence on
// the screen keeps coming, and a screen that starts to predict is trusted, and used, again.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { screenTrust, TRUST_WINDOW } from '../decisions/promotion.js';
import { isStaged, stageOf } from '../spec/stages.js';
import type { ExperimentRow, StageVerdict } from '../store/schema.js';
import type { Store } from '../store/store.js';

export interface StartingStage {
  stage: number;
  /** Set when the first stage is skipped: its verdict, saying why, recorded with the candidate. */
  skipped?: StageVerdict;
}

/** The stage a new candidate starts at: 0, or 1 when the first stage is distrusted and this one is not due to check it. */
export async function startingStageFor(store: Store, spec: StudySpec, studyId: string, history: ExperimentRow[]): Promise<StartingStage> {
  if (!isStaged(spec) || stageOf(spec, 0).promote!.calibration === 0) return { stage: 0 };
  const beforeNumber = history.reduce((most, e) => Math.max(most, e.number + 1), 0);
  const pairs = await store.listStagePairs({ studyId, stage: 0, metric: spec.objective.metric, beforeNumber, limit: TRUST_WINDOW });
  return startingStage(spec, pairs, history);
}

/** startingStageFor, given the latest candidates that ran both the first stage and the next (their means at each). */
export function startingStage(spec: StudySpec, pairs: { at: number; next: number }[], history: ExperimentRow[]): StartingStage {
  if (!isStaged(spec)) return { stage: 0 };
  const screen = stageOf(spec, 0);
  const promote = screen.promote!;
  if (promote.calibration === 0 || pairs.length < Math.max(promote.calibration, 3)) return { stage: 0 }; // trusted, or calibrating
  const trust = screenTrust(pairs, promote.calibration, screen.name, stageOf(spec, 1).name);
  if (trust.trusted) return { stage: 0 };
  const every = promote.audit > 0 ? Math.round(1 / promote.audit) : Infinity;
  if (skippedInARow(history) + 1 >= every) return { stage: 0 };
  const checked = Number.isFinite(every) ? `; 1 candidate in ${every} is still screened, to see whether it starts to predict` : '';
  const summary = `${screen.name} skipped: ${trust.summary}, so it would promote this candidate unjudged${checked}`;
  return {
    stage: 1,
    skipped: { stage: 0, name: screen.name, rule: promote.rule, promoted: true, mean: null, n: 0, untrusted: trust, skipped: true, summary },
  };
}

/** How many of the study's latest candidates, counting back from the newest, skipped the first stage. */
function skippedInARow(history: ExperimentRow[]): number {
  const candidates = history.filter((e) => e.kind === 'candidate' && e.changeKey !== null).sort((a, b) => b.number - a.number);
  let count = 0;
  for (const e of candidates) {
    if (!e.stageVerdicts.some((v) => v.stage === 0 && v.skipped)) break;
    count += 1;
  }
  return count;
}
