// Promotion rules for screen, then promote (spec.stages): whether a candidate's result at a stage before
// the last is promising enough to spend the next stage's runs on it. Pure, like the keep/discard rule. A
// good candidate dropped at a screen is lost for good, while a poor one promoted costs only the next
// stage's runs; but a screen that drops only what is worse beyond doubt drops almost nothing, since most
// poor changes are poor by about the noise. So the default rule allows one standard error, no more.
import type { Direction } from '../../../../schemas/src/study-spec.js';
import type { ScreenTrust, StageVerdict } from '../store/schema.js';
import { mean, pooledStandardDeviation, spreadOf, studentTQuantile, type Spread } from './statistics.js';

interface StageNames {
  /** The stage screened at, and the one a promotion leads to. */
  stage: { index: number; name: string };
  next: string;
}

export interface NotWorseThanHeadInput extends StageNames {
  direction: Direction;
  /** The head's run values at this stage; empty when it has none. */
  headValues: number[];
  candidateValues: number[];
  /**
   * The run-to-run spread measured at this stage (the baseline's or a re-measurement's runs there). Null
   * when the head is that measurement: its values carry that spread already.
   */
  noise: Spread | null;
  /**
   * The spread of the stage's own error per configuration (screenTrust): what a short run gets wrong about
   * the next stage beyond run-to-run noise, the same each time that configuration runs. Unknown when absent.
   */
  biasSigma?: number;
}

/**
 * better-than-head-minus-noise: promoted unless the candidate is worse than the head at this stage by more
 * than the noise: one standard error of the difference, √(σ²·(1/n_candidate + 1/n_head) + 2·σ_bias²), with
 * σ the run-to-run spread pooled as the keep/discard rule pools it and σ_bias the stage's own error per
 * configuration, when known. A short run is wrong about the full one in its own way for each configuration,
 * candidate and head alike, so run-to-run noise alone understates how far a screen may err. A candidate as
 * good as the head goes on 84% of the time or more. With no noise known, it must be no worse than the head.
 */
export function promoteUnlessWorseThanHead(input: NotWorseThanHeadInput): StageVerdict {
  const candidateMean = mean(input.candidateValues);
  const base = { stage: input.stage.index, name: input.stage.name, rule: 'better-than-head-minus-noise' as const, mean: candidateMean, n: input.candidateValues.length };
  if (input.headValues.length === 0) {
    const summary = `${input.stage.name}: ${candidateMean.toFixed(4)}, and the head has no result at this stage to compare with: promoted to ${input.next}`;
    return { ...base, promoted: true, headMean: null, margin: 0, summary };
  }
  const headMean = mean(input.headValues);
  const spreads = [input.noise, spreadOf(input.headValues), spreadOf(input.candidateValues)].filter((s): s is Spread => s !== null);
  const pooled = pooledStandardDeviation(spreads);
  const runNoise = pooled === null ? 0 : pooled.sigma ** 2 * (1 / input.candidateValues.length + 1 / input.headValues.length);
  const biased = input.biasSigma !== undefined && input.biasSigma > 0;
  const margin = Math.sqrt(runNoise + (biased ? 2 * input.biasSigma! ** 2 : 0));
  const improvement = input.direction === 'minimize' ? headMean - candidateMean : candidateMean - headMean;
  // Equal means summed in another order may differ in the last bit; that is not "worse".
  const worseBy = Math.abs(improvement) <= 1e-12 * Math.max(Math.abs(headMean), Math.abs(candidateMean)) ? 0 : -improvement;
  const promoted = worseBy <= margin;
  const digits = decimalsFor(margin);
  const [shown, head, noise] = [candidateMean, headMean, margin].map((v) => v.toFixed(digits));
  const noiseText = biased
    ? `the noise (${noise}, with ${input.stage.name}'s own error per configuration)`
    : pooled === null ? 'the noise (unknown: no repeated runs at this stage, so none is allowed)' : `the noise (${noise})`;
  let summary: string;
  if (worseBy <= 0) summary = `${input.stage.name}: ${shown} is ${worseBy < 0 ? 'better than' : 'equal to'} the head's ${head}: promoted to ${input.next}`;
  else if (promoted) summary = `${input.stage.name}: ${shown} is worse than the head's ${head}, but within ${noiseText}: promoted to ${input.next}`;
  else summary = `${input.stage.name}: ${shown} is worse than the head's ${head} by more than ${noiseText}: not promoted`;
  return { ...base, promoted, headMean, margin, summary };
}

export interface TopFractionInput extends StageNames {
  direction: Direction;
  /** The share of candidates promoted, in (0, 1]. */
  fraction: number;
  candidateValues: number[];
  /** The means at this stage of the candidates screened before it (its branch's last `window`). */
  earlier: number[];
}

/**
 * top-fraction (asynchronous successive halving): promoted when the candidate ranks among the best
 * ⌈fraction·n⌉ of itself and the n - 1 candidates screened before it at this stage; the first one always goes on.
 */
export function promoteIfTopFraction(input: TopFractionInput): StageVerdict {
  const candidateMean = mean(input.candidateValues);
  const better = (a: number, b: number) => (input.direction === 'minimize' ? a < b : a > b);
  const of = input.earlier.length + 1;
  const rank = 1 + input.earlier.filter((other) => better(other, candidateMean)).length;
  // A hair below, so that a fraction that divides the count exactly (1/3 of 3) is not rounded up by float error.
  const promotedCount = Math.max(1, Math.ceil(input.fraction * of - 1e-9));
  const promoted = rank <= promotedCount;
  const summary =
    `${input.stage.name}: ${candidateMean.toFixed(4)} ranks ${rank} of ${of} screened on its branch (the best ${promotedCount} go on): ` +
    (promoted ? `promoted to ${input.next}` : 'not promoted');
  return { stage: input.stage.index, name: input.stage.name, rule: 'top-fraction', promoted, mean: candidateMean, n: input.candidateValues.length, rank, of, promotedCount, summary };
}

/** The candidates that ran both stages the trust in a screen is judged on: the latest ones. */
export const TRUST_WINDOW = 10;
/** The one-sided confidence that the screen's results correlate positively with the next stage's. */
const TRUST_CONFIDENCE = 0.95;

/**
 * Whether a stage's results have predicted the next stage's, judged on the candidates that ran both (the
 * latest TRUST_WINDOW): their means at the two stages must correlate positively beyond chance (Pearson's
 * r, one-sided t test at 95%). Until `calibration` of them have run both (at least 3), it is not trusted
 * either. An untrusted screen promotes every candidate, so a screen that does not predict the full result
 * costs its own runs and never a good candidate; and since every candidate then runs both stages, a
 * screen that starts to predict is trusted again. calibration 0 trusts it from the start.
 */
export function screenTrust(
  pairs: { at: number; next: number }[],
  calibration: number,
  stage: string,
  next: string,
  /** The run-to-run spreads measured at the two stages (the latest measurement of the head), when known. */
  measured: { at: number | null; next: number | null } = { at: null, next: null },
): ScreenTrust {
  const n = pairs.length;
  if (calibration === 0) return { trusted: true, n, r: null, summary: `${stage} trusted from the start (calibration 0)` };
  const needed = Math.max(calibration, 3);
  if (n < needed) return { trusted: false, n, r: null, summary: `calibrating: ${n} of ${needed} candidates have run both ${stage} and ${next}` };
  const fit = fitLine(pairs);
  const over = `over the last ${n} candidates that ran both`;
  if (fit === null) return { trusted: false, n, r: null, summary: `${stage}'s results did not vary ${over}, so they predict nothing` };
  const { r } = fit;
  const t = r >= 1 ? Infinity : r * Math.sqrt((n - 2) / (1 - r * r));
  const trusted = t > studentTQuantile(TRUST_CONFIDENCE, n - 2);
  const summary = trusted
    ? `${stage}'s results have predicted ${next}'s (r=${r.toFixed(2)} ${over})`
    : `${stage}'s results have not predicted ${next}'s beyond chance (r=${r.toFixed(2)} ${over})`;
  // The line's residual is the next stage's noise plus, in the next stage's units, this stage's noise and its
  // own error per configuration: what is left once both noises are taken out is that error's spread.
  const biasSigma = trusted && fit.slope > 0
    ? Math.sqrt(Math.max(0, (fit.residualSigma ** 2 - (measured.next ?? 0) ** 2) / fit.slope ** 2 - (measured.at ?? 0) ** 2))
    : undefined;
  return { trusted, n, r, ...(biasSigma !== undefined && { biasSigma }), summary };
}

/**
 * Whether a candidate the rule turned away is audited (promoted anyway): the audited stay at `audit` of
 * all those turned away, spread evenly (with 0.2, the 5th, the 10th, …), so a screen that stopped
 * predicting is found out.
 */
export function auditDue(audit: number, turnedAway: { refused: number; audited: number }): boolean {
  const count = turnedAway.refused + turnedAway.audited + 1;
  return Math.floor(audit * count + 1e-9) > turnedAway.audited;
}

/** The least-squares line of the next stage's results on this one's: Pearson's r, the slope, the residual spread. */
function fitLine(pairs: { at: number; next: number }[]): { r: number; slope: number; residualSigma: number } | null {
  const meanAt = mean(pairs.map((p) => p.at));
  const meanNext = mean(pairs.map((p) => p.next));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const { at, next } of pairs) {
    sxy += (at - meanAt) * (next - meanNext);
    sxx += (at - meanAt) ** 2;
    syy += (next - meanNext) ** 2;
  }
  if (!(sxx > 0 && syy > 0)) return null;
  const residualSigma = Math.sqrt(Math.max(0, syy - (sxy * sxy) / sxx) / Math.max(1, pairs.length - 2));
  return { r: Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy))), slope: sxy / sxx, residualSigma };
}

/** Two significant digits of the noise allowance, and at least four decimals. */
function decimalsFor(margin: number): number {
  if (!(margin > 0) || !Number.isFinite(margin)) return 4;
  return Math.min(12, Math.max(4, 1 - Math.floor(Math.log10(margin))));
}
