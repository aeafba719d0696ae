// The keep/discard rule of a skill study. Each output is scored by every eval, so an experiment is a count
// of passes out of evals × outputs, and the noise of a pass rate is binomial: the noise-aware rule keeps a
// candidate only when a one-sided two-proportion z-test says its rate beats the head's at the study's
// confidence. Pure, like keep-or-discard.ts.
import type { DecisionStats } from '../store/schema.js';
import { whyNotBetter } from './keep-or-discard.js';
import { normalCdf, normalQuantile } from './statistics.js';

export interface PassCount {
  passes: number;
  trials: number;
}

export interface PassRateDecisionInput {
  rule: 'strict' | 'noise-aware';
  confidence: number;
  /** Smallest improvement of the pass rate worth keeping, as a fraction (0.05 = 5 points). */
  minEffect: number;
  head: PassCount;
  candidate: PassCount;
}

export function decideByPassRate(input: PassRateDecisionInput): { keep: boolean; stats: DecisionStats } {
  const { head, candidate, minEffect, confidence } = input;
  if (candidate.trials <= 0 || head.trials <= 0) throw new RangeError('a pass rate needs at least one trial on each side');
  const headRate = head.passes / head.trials;
  const candidateRate = candidate.passes / candidate.trials;
  const delta = candidateRate - headRate;
  const base = { delta, nCandidate: candidate.trials, nHead: head.trials, candidateMean: candidateRate, headMean: headRate };

  if (input.rule === 'strict') {
    const keep = delta > minEffect;
    const reason = keep ? 'strictly better than the head' : whyNotBetter(delta, 'smaller than minEffect');
    return { keep, stats: { rule: 'strict', sigma: null, threshold: minEffect, pValue: null, ...base, summary: summarize(input, delta, null, minEffect, null, keep, reason) } };
  }

  const pooled = (head.passes + candidate.passes) / (head.trials + candidate.trials);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / candidate.trials + 1 / head.trials));
  if (standardError === 0) {
    // Every output passed everything, or nothing: both rates are equal, and there is nothing to gain.
    const keep = delta > minEffect;
    const reason = keep ? 'better than the head' : whyNotBetter(delta, 'smaller than minEffect');
    return { keep, stats: { rule: 'noise-aware', sigma: 0, threshold: minEffect, pValue: null, ...base, summary: summarize(input, delta, 0, minEffect, null, keep, reason) } };
  }
  const noiseThreshold = normalQuantile(confidence) * standardError;
  const threshold = Math.max(minEffect, noiseThreshold);
  const pValue = 1 - normalCdf(delta / standardError);
  const keep = delta > threshold;
  const level = `${Number((confidence * 100).toFixed(2))}% confidence`;
  const reason = keep
    ? `the improvement is beyond the binomial noise at ${level}`
    : whyNotBetter(delta, minEffect > noiseThreshold ? 'smaller than minEffect' : `within the binomial noise at ${level}`);
  return {
    keep,
    stats: { rule: 'noise-aware', sigma: standardError, threshold, pValue, ...base, summary: summarize(input, delta, standardError, threshold, pValue, keep, reason) },
  };
}

/** "62.5%" */
export function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`;
}

/** E.g. `pass rate 24/32 (75%) vs head 16/32 (50%): Δ=+25 points, σ=11.5, threshold=18.9, p=0.015 → keep: …` */
function summarize(
  input: PassRateDecisionInput,
  delta: number,
  sigma: number | null,
  threshold: number | null,
  pValue: number | null,
  keep: boolean,
  reason: string,
): string {
  const points = (fraction: number) => Number((fraction * 100).toFixed(1));
  const { head, candidate } = input;
  const parts = [`Δ=${delta > 0 ? '+' : delta < 0 ? '-' : ''}${Math.abs(points(delta))} points`];
  if (sigma !== null) parts.push(`σ=${points(sigma)}`);
  if (threshold !== null) parts.push(`threshold=${points(threshold)}`);
  if (pValue !== null) parts.push(pValue < 0.001 ? 'p<0.001' : `p=${pValue.toFixed(3)}`);
  return `pass rate ${candidate.passes}/${candidate.trials} (${percent(candidate.passes / candidate.trials)}) vs head ` +
    `${head.passes}/${head.trials} (${percent(head.passes / head.trials)}): ${parts.join(', ')} → ${keep ? 'keep' : 'discard'}: ${reason}`;
}
