// Where a study stands, computed from its experiments: what the stop conditions and the scheduler need.
import type { Direction } from '../../../../schemas/src/study-spec.js';
import type { ExperimentRow } from '../store/schema.js';

export interface StudyProgress {
  created: number;
  decided: number;
  pending: number;
  /** The lowest-numbered undecided experiment: decisions are made in number order. */
  nextToDecide: number | null;
  bestScore: number | null;
  bestExperimentNumber: number | null;
  /** Decided candidates in a row, newest first, that were not kept (the plateau counter). */
  experimentsSinceLastKeep: number;
  baselineDecided: boolean;
}

export function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === 'minimize' ? a < b : a > b;
}

/** What progress is computed from: a few columns of each experiment (whole rows will do). */
export type ProgressInput = Pick<ExperimentRow, 'number' | 'kind' | 'status' | 'outcome' | 'score'>;

export function summarizeProgress(experiments: ProgressInput[], direction: Direction): StudyProgress {
  // An adoption record is not an experiment: nothing ran, and the stop conditions do not count it.
  const sorted = experiments.filter((e) => e.kind !== 'adopt').sort((a, b) => a.number - b.number);
  let bestScore: number | null = null;
  let bestExperimentNumber: number | null = null;
  let experimentsSinceLastKeep = 0;
  let nextToDecide: number | null = null;
  let decided = 0;
  for (const experiment of sorted) {
    if (experiment.status !== 'decided') {
      nextToDecide ??= experiment.number;
      continue;
    }
    decided += 1;
    if (experiment.outcome === 'remeasure') continue; // the head measured again: neither a keep nor a miss
    if (experiment.outcome === 'keep' || experiment.outcome === 'baseline') {
      experimentsSinceLastKeep = 0;
      if (experiment.score !== null && (bestScore === null || isBetter(experiment.score, bestScore, direction))) {
        bestScore = experiment.score;
        bestExperimentNumber = experiment.number;
      }
    } else {
      experimentsSinceLastKeep += 1;
    }
  }
  return {
    created: sorted.length,
    decided,
    pending: sorted.length - decided,
    nextToDecide,
    bestScore,
    bestExperimentNumber,
    experimentsSinceLastKeep,
    baselineDecided: sorted[0]?.status === 'decided' && sorted[0].outcome === 'baseline',
  };
}
