// What a spec's stages (screen, then promote) come to. A study without `stages` has one implicit stage,
// run.budgetSeconds and `repeats`, so the scheduler, the executors and the exports treat every study alike.
import type { StageSpec, StudySpec } from '../../../../schemas/src/study-spec.js';

export type PromotionRule = 'better-than-head-minus-noise' | 'top-fraction';

/** Successive halving's η = 3: a third of the screened candidates go on. */
export const TOP_FRACTION_DEFAULT = 1 / 3;
export const TOP_FRACTION_WINDOW_DEFAULT = 10;
/** Candidates that run both stages, whatever their screen, before the screen is trusted. */
export const CALIBRATION_DEFAULT = 8;
/** The share of the candidates a trusted screen turns away that run the next stage anyway. */
export const AUDIT_DEFAULT = 0.2;

export interface ResolvedStage {
  index: number;
  name: string;
  budgetSeconds: number;
  repeats: number;
  gpuClass?: string;
  /** How the stage promotes to the next; null at the last stage, where keep or discard is decided. */
  promote: { rule: PromotionRule; fraction: number; window: number; calibration: number; audit: number } | null;
}

/** The name of the one stage of a study without stages (never shown: such a study has nothing to tell apart). */
const SINGLE_STAGE = 'full';

export function isStaged(spec: StudySpec): boolean {
  return (spec.stages?.length ?? 0) > 0;
}

export function stagesOf(spec: StudySpec): ResolvedStage[] {
  const declared: StageSpec[] = spec.stages?.length ? spec.stages : [{ name: SINGLE_STAGE, budgetSeconds: spec.run.budgetSeconds, repeats: spec.repeats }];
  return declared.map((stage, index) => ({
    index,
    name: stage.name,
    budgetSeconds: stage.budgetSeconds,
    repeats: stage.repeats,
    ...(stage.gpuClass !== undefined && { gpuClass: stage.gpuClass }),
    promote: index === declared.length - 1
      ? null
      : {
          rule: stage.promote?.rule ?? 'better-than-head-minus-noise',
          fraction: stage.promote?.fraction ?? TOP_FRACTION_DEFAULT,
          window: stage.promote?.window ?? TOP_FRACTION_WINDOW_DEFAULT,
          calibration: stage.promote?.calibration ?? CALIBRATION_DEFAULT,
          audit: stage.promote?.audit ?? AUDIT_DEFAULT,
        },
  }));
}

/** A stage by index; an index past the declared stages (a spec edited under a running study) reads as the last. */
export function stageOf(spec: StudySpec, index: number): ResolvedStage {
  const stages = stagesOf(spec);
  return stages[Math.min(Math.max(index, 0), stages.length - 1)]!;
}

export function lastStageIndex(spec: StudySpec): number {
  return stagesOf(spec).length - 1;
}

/** Runs a candidate gets at its first stage: what a new experiment queues. */
export function firstStageRepeats(spec: StudySpec): number {
  return stagesOf(spec)[0]!.repeats;
}

/** Working runs a candidate that reached `stageReached` was planned to have; more means adaptive repeats. */
export function plannedRuns(spec: StudySpec, stageReached: number): number {
  return stagesOf(spec).slice(0, stageReached + 1).reduce((sum, stage) => sum + stage.repeats, 0);
}

/**
 * The runs of a measurement of the head (the baseline, a re-measurement): `repeats` at every stage, so the
 * head has values, and the noise a spread, at each one. Returns each run's stage, in run order.
 */
export function measurementRunStages(spec: StudySpec, repeats: number): number[] {
  return stagesOf(spec).flatMap((stage) => Array.from({ length: repeats }, () => stage.index));
}
