// Where a study stands, from its chart columns: the same count the controller's stop conditions make
// (scheduler/study-progress.ts): an adoption is not an experiment, a re-measurement is neither a keep nor a
// miss. Pure: tested in node.
import type { PointColumns } from './point-columns.js';

export interface Progress {
  experiments: number;
  decided: number;
  pending: number;
  bestScore: number | null;
  bestNumber: number | null;
  sinceLastKeep: number;
  /** Decided experiments that ran, newest last, for the ceiling's streak. */
  scored: { number: number; score: number | null }[];
}

export function isBetter(a: number, b: number, direction: 'minimize' | 'maximize'): boolean {
  return direction === 'minimize' ? a < b : a > b;
}

export function summarize(columns: PointColumns, direction: 'minimize' | 'maximize'): Progress {
  const progress: Progress = { experiments: 0, decided: 0, pending: 0, bestScore: null, bestNumber: null, sinceLastKeep: 0, scored: [] };
  for (let i = 0; i < columns.number.length; i++) {
    const outcome = columns.outcome[i]!;
    if (outcome === 'adopted') continue;
    progress.experiments += 1;
    if (outcome === null) {
      progress.pending += 1;
      continue;
    }
    progress.decided += 1;
    if (outcome === 'remeasure') continue;
    if (outcome !== 'invalid') progress.scored.push({ number: columns.number[i]!, score: columns.score[i]! });
    if (outcome === 'keep' || outcome === 'baseline') {
      progress.sinceLastKeep = 0;
      const score = columns.score[i]!;
      if (score !== null && (progress.bestScore === null || isBetter(score, progress.bestScore, direction))) {
        progress.bestScore = score;
        progress.bestNumber = columns.number[i]!;
      }
    } else {
      progress.sinceLastKeep += 1;
    }
  }
  return progress;
}
