// The few statistics the keep/discard rule needs. The distribution functions come from stdlib (ports of
// well-tested numerical code) rather than hand-written approximations: a wrong tail here silently keeps
// noise or throws away real gains.
import normalCdfOf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantileOf from '@stdlib/stats-base-dists-normal-quantile';
import studentTCdfOf from '@stdlib/stats-base-dists-t-cdf';
import studentTQuantileOf from '@stdlib/stats-base-dists-t-quantile';

/** A spread estimate together with how much data it rests on. */
export interface Spread {
  sigma: number;
  degreesOfFreedom: number;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of no values is undefined');
  assertFinite(values);
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The sample (n - 1) standard deviation. */
export function sampleStandardDeviation(values: readonly number[]): number {
  if (values.length < 2) throw new RangeError(`a sample standard deviation needs at least 2 values, got ${values.length}`);
  const center = mean(values);
  // Two passes (deviations from the mean) rather than sum-of-squares, which cancels badly when the
  // spread is tiny next to the level, as with val_bpb ≈ 1.0 and σ ≈ 0.001.
  const squaredDeviations = values.reduce((sum, value) => sum + (value - center) ** 2, 0);
  return Math.sqrt(squaredDeviations / (values.length - 1));
}

/** The spread of a sample with its n - 1 degrees of freedom, or null when it has fewer than 2 values. */
export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length < 2) return null;
  return { sigma: sampleStandardDeviation(values), degreesOfFreedom: values.length - 1 };
}

/**
 * Pools spreads measured on different samples of the same noise: variances weighted by their degrees of
 * freedom, which add up. Null when there is nothing to pool (no degrees of freedom at all).
 */
export function pooledStandardDeviation(spreads: readonly Spread[]): Spread | null {
  let weightedVariance = 0;
  let degreesOfFreedom = 0;
  for (const spread of spreads) {
    if (!Number.isFinite(spread.sigma) || spread.sigma < 0) throw new RangeError(`sigma must be a finite number ≥ 0, got ${spread.sigma}`);
    if (!Number.isFinite(spread.degreesOfFreedom) || spread.degreesOfFreedom < 0) {
      throw new RangeError(`degrees of freedom must be a finite number ≥ 0, got ${spread.degreesOfFreedom}`);
    }
    weightedVariance += spread.degreesOfFreedom * spread.sigma ** 2;
    degreesOfFreedom += spread.degreesOfFreedom;
  }
  if (degreesOfFreedom === 0) return null;
  return { sigma: Math.sqrt(weightedVariance / degreesOfFreedom), degreesOfFreedom };
}

/** P(Z ≤ x) for a standard normal Z. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) throw new RangeError('normalCdf of NaN');
  return normalCdfOf(x, 0, 1);
}

/** The x with P(Z ≤ x) = p for a standard normal Z. */
export function normalQuantile(p: number): number {
  assertProbability(p);
  return normalQuantileOf(p, 0, 1);
}

/** P(T ≤ t) for Student's t with the given degrees of freedom (Infinity gives the normal). */
export function studentTCdf(t: number, degreesOfFreedom: number): number {
  if (Number.isNaN(t)) throw new RangeError('studentTCdf of NaN');
  assertDegreesOfFreedom(degreesOfFreedom);
  // stdlib answers 0.5 for every t at infinite degrees of freedom, so take the limit ourselves.
  if (degreesOfFreedom === Infinity) return normalCdf(t);
  return studentTCdfOf(t, degreesOfFreedom);
}

/**
 * The one-sided critical value: the t with P(T ≤ t) = p. For a one-sided test at confidence 0.95 this is
 * t(0.95, dof), e.g. 2.920 at 2 degrees of freedom, not the two-sided 4.303.
 */
export function studentTQuantile(p: number, degreesOfFreedom: number): number {
  assertProbability(p);
  assertDegreesOfFreedom(degreesOfFreedom);
  if (degreesOfFreedom === Infinity) return normalQuantile(p);
  return studentTQuantileOf(p, degreesOfFreedom);
}

/** P(T ≥ t): the one-sided p-value of an observed t statistic. */
export function studentTUpperTail(t: number, degreesOfFreedom: number): number {
  // By symmetry, P(T ≥ t) = P(T ≤ -t), which keeps precision far out in the tail where 1 - cdf would
  // round to 0.
  return studentTCdf(-t, degreesOfFreedom);
}

function assertFinite(values: readonly number[]): void {
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`values must be finite numbers, got ${value}`);
  }
}

function assertProbability(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must lie in [0, 1], got ${p}`);
}

function assertDegreesOfFreedom(degreesOfFreedom: number): void {
  if (!(degreesOfFreedom > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${degreesOfFreedom}`);
}
