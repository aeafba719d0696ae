// The median stopping rule (as in Google Vizier and Katib): a run whose curve so far is worse than the
// median of its head's runs at the same step is not going to beat the head, so it is stopped to free its
// slot. Curves are compared by their running means, which a single noisy point cannot swing. Pure.
import type { Direction } from '../../../../schemas/src/study-spec.js';

export interface CurvePoint {
  step: number;
  value: number;
}

export interface MedianStoppingInput {
  direction: Direction;
  /** The running run's points so far, in order. */
  candidate: CurvePoint[];
  /** The curves of the head's runs. */
  references: CurvePoint[][];
  /** No run is stopped before this fraction of a reference curve's steps (0.25: the first quarter is free). */
  minProgress: number;
  /** How much worse than the median, in metric units, a run must be. */
  margin: number;
}

export type MedianStoppingVerdict =
  | { stop: false }
  | { stop: true; step: number; runningMean: number; median: number; references: number; summary: string };

export function medianStoppingRule(input: MedianStoppingInput): MedianStoppingVerdict {
  const { candidate, direction, margin } = input;
  if (candidate.length === 0) return { stop: false };
  const step = candidate[candidate.length - 1]!.step;
  const compared: number[] = [];
  for (const reference of input.references) {
    if (reference.length === 0) continue;
    const lastStep = reference[reference.length - 1]!.step;
    if (step < input.minProgress * lastStep) continue;
    const upTo = reference.filter((point) => point.step <= step);
    if (upTo.length > 0) compared.push(runningMean(upTo));
  }
  if (compared.length === 0) return { stop: false };
  const mean = runningMean(candidate);
  const median = medianOf(compared);
  const worse = direction === 'minimize' ? mean > median + margin : mean < median - margin;
  if (!worse) return { stop: false };
  const shown = (value: number) => String(Number(value.toPrecision(5)));
  return {
    stop: true,
    step,
    runningMean: mean,
    median,
    references: compared.length,
    summary: `at step ${shown(step)} its running mean ${shown(mean)} is worse than ${shown(median)}, the median of the head's ${compared.length} run${compared.length === 1 ? '' : 's'} at that step${margin > 0 ? ` (margin ${shown(margin)})` : ''}`,
  };
}

function runningMean(points: CurvePoint[]): number {
  return points.reduce((sum, point) => sum + point.value, 0) / points.length;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
