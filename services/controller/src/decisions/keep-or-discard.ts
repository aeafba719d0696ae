// The keep/discard rule: whether a candidate is really better than its branch head. Pure, so every case
// is tested without a database; the summary it writes is what a person reads in the changelog.
import type { Direction } from '../../../../schemas/src/study-spec.js';
import type { DecisionStats } from '../store/schema.js';
import { mean, pooledStandardDeviation, spreadOf, studentTQuantile, studentTUpperTail, type Spread } from './statistics.js';

export interface KeepOrDiscardInput {
  rule: 'strict' | 'noise-aware';
  direction: Direction;
  /** One-sided confidence that a kept improvement is not noise, e.g. 0.95. */
  confidence: number;
  /** Smallest improvement worth keeping, in metric units (≥ 0). */
  minEffect: number;
  headValues: number[];
  candidateValues: number[];
  /**
   * The run-to-run spread measured on the baseline's repeats. Pass null when the head IS that baseline
   * and its values are in headValues: pooling the same runs twice would double their degrees of freedom
   * and make the rule overconfident.
   */
  noise: Spread | null;
}

export interface KeepOrDiscardDecision {
  keep: boolean;
  stats: DecisionStats;
}

interface Comparison {
  direction: Direction;
  headMean: number;
  candidateMean: number;
  /** Improvement in the objective's direction: positive means better. */
  delta: number;
  nHead: number;
  nCandidate: number;
}

export function decideKeepOrDiscard(input: KeepOrDiscardInput): KeepOrDiscardDecision {
  checkInput(input);
  const headMean = mean(input.headValues);
  const candidateMean = mean(input.candidateValues);
  const comparison: Comparison = {
    direction: input.direction,
    headMean,
    candidateMean,
    delta: improvement(input.direction, headMean, candidateMean),
    nHead: input.headValues.length,
    nCandidate: input.candidateValues.length,
  };
  return input.rule === 'strict' ? decideStrictly(comparison, input.minEffect) : decideBeyondNoise(comparison, input);
}

function improvement(direction: Direction, headMean: number, candidateMean: number): number {
  const delta = direction === 'minimize' ? headMean - candidateMean : candidateMean - headMean;
  // Equal scores averaged in a different order can differ in the last bit (0.1 + 0.2 vs 0.3); that is
  // not an improvement, and the strict rule would otherwise keep it.
  const roundingError = 1e-12 * Math.max(Math.abs(headMean), Math.abs(candidateMean));
  return Math.abs(delta) <= roundingError ? 0 : delta;
}

/** autoresearch's rule: any improvement (beyond minEffect, 0 by default) is kept; equal is a discard. */
function decideStrictly(comparison: Comparison, minEffect: number): KeepOrDiscardDecision {
  const keep = comparison.delta > minEffect;
  const reason = keep
    ? minEffect > 0
      ? 'better than the head by more than minEffect'
      : 'strictly better than the head'
    : whyNotBetter(comparison.delta, 'smaller than minEffect');
  return decision(keep, comparison, { rule: 'strict', sigma: null, threshold: minEffect, pValue: null }, reason);
}

function decideBeyondNoise(comparison: Comparison, input: KeepOrDiscardInput): KeepOrDiscardDecision {
  const { minEffect, confidence } = input;
  const spreads = [input.noise, spreadOf(input.headValues), spreadOf(input.candidateValues)].filter(
    (spread): spread is Spread => spread !== null,
  );
  const pooled = pooledStandardDeviation(spreads);

  if (pooled === null || pooled.sigma === 0) {
    // Without repeats there is nothing to measure the noise with; with σ = 0 the script is
    // deterministic and every difference is real. Either way only minEffect stands in the way.
    const keep = comparison.delta > minEffect;
    const why = pooled === null ? 'noise unknown (no repeated runs)' : 'runs are deterministic (σ=0)';
    const reason = keep
      ? `${why}, so ${minEffect > 0 ? 'an improvement larger than minEffect' : 'any improvement'} counts`
      : `${why}; ${whyNotBetter(comparison.delta, 'smaller than minEffect')}`;
    return decision(
      keep,
      comparison,
      { rule: 'noise-aware', sigma: pooled === null ? null : 0, threshold: minEffect, pValue: null },
      reason,
    );
  }

  const standardError = pooled.sigma * Math.sqrt(1 / comparison.nCandidate + 1 / comparison.nHead);
  const noiseThreshold = studentTQuantile(confidence, pooled.degreesOfFreedom) * standardError;
  const threshold = Math.max(minEffect, noiseThreshold);
  const pValue = studentTUpperTail(comparison.delta / standardError, pooled.degreesOfFreedom);
  const keep = comparison.delta > threshold;
  const level = `${formatPercent(confidence)} confidence`;
  const minEffectDominates = minEffect > noiseThreshold;
  const reason = keep
    ? minEffectDominates
      ? 'the improvement is beyond the noise and larger than minEffect'
      : `the improvement is larger than the noise at ${level}`
    : whyNotBetter(comparison.delta, minEffectDominates ? 'smaller than minEffect' : `within the noise at ${level}`);
  return decision(keep, comparison, { rule: 'noise-aware', sigma: pooled.sigma, threshold, pValue }, reason);
}

/** Why a candidate that was not kept fell short: worse, equal, or better by too little. */
export function whyNotBetter(delta: number, tooSmall: string): string {
  if (delta < 0) return 'worse than the head';
  if (delta === 0) return 'no better than the head';
  return `the improvement is ${tooSmall}`;
}

function decision(
  keep: boolean,
  comparison: Comparison,
  measured: Pick<DecisionStats, 'rule' | 'sigma' | 'threshold' | 'pValue'>,
  reason: string,
): KeepOrDiscardDecision {
  const summary = describeDecision(keep, comparison, measured, reason);
  return {
    keep,
    stats: {
      ...measured,
      delta: comparison.delta,
      nCandidate: comparison.nCandidate,
      nHead: comparison.nHead,
      candidateMean: comparison.candidateMean,
      headMean: comparison.headMean,
      summary,
    },
  };
}

/**
 * E.g. `Δ=-0.0041 (better), σ=0.0012, n=3/3, threshold=0.0030, p=0.004 → keep: …`. Δ is the candidate's
 * mean minus the head's in raw metric units (so negative is better when minimizing), n is
 * candidate/head runs, and every number shares one precision so Δ and the threshold compare at a glance.
 */
function describeDecision(
  keep: boolean,
  comparison: Comparison,
  measured: Pick<DecisionStats, 'rule' | 'sigma' | 'threshold' | 'pValue'>,
  reason: string,
): string {
  // Signed in metric units, from the (rounding-snapped) improvement so equal scores read exactly 0.
  const rawChange = comparison.direction === 'minimize' ? -comparison.delta : comparison.delta;
  const decimals = decimalsForScale([measured.threshold ?? 0, measured.sigma ?? 0, Math.abs(rawChange)]);
  const fixed = (value: number) => (value === 0 ? '0' : value.toFixed(decimals));
  const verdict = comparison.delta > 0 ? 'better' : comparison.delta < 0 ? 'worse' : 'no change';
  const parts = [`Δ=${rawChange > 0 ? '+' : rawChange < 0 ? '-' : ''}${fixed(Math.abs(rawChange))} (${verdict})`];
  if (measured.rule === 'noise-aware') parts.push(`σ=${measured.sigma === null ? 'unknown' : fixed(measured.sigma)}`);
  parts.push(`n=${comparison.nCandidate}/${comparison.nHead}`);
  if (measured.threshold !== null) parts.push(`threshold=${fixed(measured.threshold)}`);
  if (measured.pValue !== null) parts.push(formatPValue(measured.pValue));
  return `${parts.join(', ')} → ${keep ? 'keep' : 'discard'}: ${reason}`;
}

/** Two significant digits of the quantity the decision turns on: the threshold, else σ, else Δ. */
function decimalsForScale(candidates: number[]): number {
  const scale = candidates.find((value) => value > 0 && Number.isFinite(value));
  if (scale === undefined) return 4;
  return Math.min(12, Math.max(0, 1 - Math.floor(Math.log10(scale))));
}

function formatPValue(p: number): string {
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

function checkInput(input: KeepOrDiscardInput): void {
  if (input.candidateValues.length === 0) {
    throw new RangeError('decideKeepOrDiscard needs at least one candidate value; an experiment whose runs all crashed is recorded as a crash instead');
  }
  if (input.headValues.length === 0) throw new RangeError('decideKeepOrDiscard needs at least one head value');
  if (!(input.confidence > 0 && input.confidence < 1)) throw new RangeError(`confidence must lie in (0, 1), got ${input.confidence}`);
  if (!(input.minEffect >= 0 && Number.isFinite(input.minEffect))) {
    throw new RangeError(`minEffect must be a finite number ≥ 0, got ${input.minEffect}`);
  }
}
