import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideKeepOrDiscard, type KeepOrDiscardInput } from '../../services/controller/src/decisions/keep-or-discard.js';

function input(overrides: Partial<KeepOrDiscardInput>): KeepOrDiscardInput {
  return {
    rule: 'noise-aware',
    direction: 'minimize',
    confidence: 0.95,
    minEffect: 0,
    headValues: [1],
    candidateValues: [1],
    noise: null,
    ...overrides,
  };
}

function assertClose(actual: number | null, expected: number, tolerance: number, what = ''): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${what} expected ${expected} ± ${tolerance}, got ${actual}`);
}

// Three runs with mean 1.0 and a sample σ of exactly 0.0012.
const HEAD = [1.0, 1.0012, 0.9988];
const shifted = (values: number[], by: number) => values.map((v) => v + by);

describe('decideKeepOrDiscard: strict (autoresearch) rule', () => {
  it('keeps a strictly lower score when minimizing', () => {
    const { keep, stats } = decideKeepOrDiscard(input({ rule: 'strict', headValues: [0.9979], candidateValues: [0.9931] }));
    assert.equal(keep, true);
    assertClose(stats.delta, 0.0048, 1e-12);
    assert.equal(stats.rule, 'strict');
    assert.equal(stats.sigma, null);
    assert.equal(stats.pValue, null);
    assert.equal(stats.threshold, 0);
    assert.equal(stats.headMean, 0.9979);
    assert.equal(stats.candidateMean, 0.9931);
    assert.equal(stats.summary, 'Δ=-0.0048 (better), n=1/1, threshold=0 → keep: strictly better than the head');
  });

  it('discards an equal score: equal is not better', () => {
    const { keep, stats } = decideKeepOrDiscard(input({ rule: 'strict', headValues: [0.9979], candidateValues: [0.9979] }));
    assert.equal(keep, false);
    assert.equal(stats.delta, 0);
    assert.equal(stats.summary, 'Δ=0 (no change), n=1/1, threshold=0 → discard: no better than the head');
  });

  it('treats means equal up to floating-point rounding as equal', () => {
    // (0.1 + 0.2) / 2 is 0.15000000000000002, which is not an improvement over 0.15.
    for (const direction of ['minimize', 'maximize'] as const) {
      const { keep, stats } = decideKeepOrDiscard(input({ rule: 'strict', direction, headValues: [0.1, 0.2], candidateValues: [0.15] }));
      assert.equal(keep, false, direction);
      assert.equal(stats.delta, 0);
      assert.match(stats.summary, /^Δ=0 \(no change\)/);
    }
  });

  it('discards a worse score and shows Δ with its sign in metric units', () => {
    const { keep, stats } = decideKeepOrDiscard(input({ rule: 'strict', headValues: [1], candidateValues: [1.02] }));
    assert.equal(keep, false);
    assertClose(stats.delta, -0.02, 1e-12);
    assert.equal(stats.summary, 'Δ=+0.020 (worse), n=1/1, threshold=0 → discard: worse than the head');
  });

  it('keeps a strictly higher score when maximizing', () => {
    const { keep, stats } = decideKeepOrDiscard(input({ rule: 'strict', direction: 'maximize', headValues: [0.5], candidateValues: [0.75] }));
    assert.equal(keep, true);
    assert.equal(stats.delta, 0.25);
    assert.match(stats.summary, /^Δ=\+0\.25 \(better\)/);
  });

  it('discards a lower score when maximizing', () => {
    const { keep, stats } = decideKeepOrDiscard(input({ rule: 'strict', direction: 'maximize', headValues: [0.75], candidateValues: [0.5] }));
    assert.equal(keep, false);
    assert.equal(stats.delta, -0.25);
    assert.match(stats.summary, /^Δ=-0\.25 \(worse\).*worse than the head$/);
  });

  it('ignores the noise entirely, however noisy the runs', () => {
    const { keep } = decideKeepOrDiscard(
      input({ rule: 'strict', headValues: [1, 1.5, 0.5], candidateValues: [0.99, 1.49, 0.49], noise: { sigma: 10, degreesOfFreedom: 5 } }),
    );
    assert.equal(keep, true);
  });

  it('requires more than minEffect when one is set', () => {
    const small = decideKeepOrDiscard(input({ rule: 'strict', minEffect: 0.01, headValues: [1], candidateValues: [0.995] }));
    assert.equal(small.keep, false);
    assert.equal(small.stats.threshold, 0.01);
    assert.match(small.stats.summary, /discard: the improvement is smaller than minEffect$/);
    const large = decideKeepOrDiscard(input({ rule: 'strict', minEffect: 0.01, headValues: [1], candidateValues: [0.98] }));
    assert.equal(large.keep, true);
    assert.match(large.stats.summary, /keep: better than the head by more than minEffect$/);
  });

  it('counts runs of the candidate and the head', () => {
    const { stats } = decideKeepOrDiscard(input({ rule: 'strict', headValues: [1, 2], candidateValues: [1, 1, 1] }));
    assert.equal(stats.nCandidate, 3);
    assert.equal(stats.nHead, 2);
    assert.equal(stats.headMean, 1.5);
    assert.match(stats.summary, /n=3\/2/);
  });
});

describe('decideKeepOrDiscard: noise-aware rule', () => {
  it('keeps an improvement well beyond the noise, with the statistics behind it', () => {
    const { keep, stats } = decideKeepOrDiscard(
      input({ headValues: HEAD, candidateValues: shifted(HEAD, -0.0041), noise: { sigma: 0.0012, degreesOfFreedom: 2 } }),
    );
    assert.equal(keep, true);
    // σ pools baseline (2 dof), head (2 dof) and candidate (2 dof): all 0.0012, so 0.0012 with 6 dof.
    assertClose(stats.sigma, 0.0012, 1e-12);
    const standardError = 0.0012 * Math.sqrt(1 / 3 + 1 / 3);
    assertClose(stats.threshold, 1.9432 * standardError, 1e-7, 'threshold = t(0.95, 6) · SE');
    assertClose(stats.pValue, 0.0029, 1e-4, 'P(T6 ≥ 4.18)');
    assert.equal(stats.rule, 'noise-aware');
    assert.equal(
      stats.summary,
      'Δ=-0.0041 (better), σ=0.0012, n=3/3, threshold=0.0019, p=0.003 → keep: the improvement is larger than the noise at 95% confidence',
    );
  });

  it('discards an improvement within the noise', () => {
    const { keep, stats } = decideKeepOrDiscard(
      input({ headValues: HEAD, candidateValues: shifted(HEAD, -0.001), noise: { sigma: 0.0012, degreesOfFreedom: 2 } }),
    );
    assert.equal(keep, false);
    assert.ok(stats.delta! > 0 && stats.delta! < stats.threshold!);
    assert.ok(stats.pValue! > 0.05);
    assert.match(stats.summary, /^Δ=-0\.0010 \(better\), σ=0\.0012, n=3\/3, threshold=0\.0019, p=0\.\d{3} → discard: the improvement is within the noise at 95% confidence$/);
  });

  it('discards a worse candidate with a p-value above one half', () => {
    const { keep, stats } = decideKeepOrDiscard(
      input({ headValues: HEAD, candidateValues: shifted(HEAD, 0.003), noise: { sigma: 0.0012, degreesOfFreedom: 2 } }),
    );
    assert.equal(keep, false);
    assert.ok(stats.pValue! > 0.5);
    assert.match(stats.summary, /^Δ=\+0\.0030 \(worse\).*→ discard: worse than the head$/);
  });

  it('discards an identical candidate with p = 0.5', () => {
    const { keep, stats } = decideKeepOrDiscard(input({ headValues: HEAD, candidateValues: HEAD, noise: null }));
    assert.equal(keep, false);
    assert.equal(stats.pValue, 0.5);
    assert.match(stats.summary, /discard: no better than the head$/);
  });

  it('uses the baseline noise alone when head and candidate ran once each', () => {
    const { keep, stats } = decideKeepOrDiscard(
      input({ headValues: [1], candidateValues: [0.996], noise: { sigma: 0.001, degreesOfFreedom: 4 } }),
    );
    assert.equal(stats.sigma, 0.001);
    // SE = σ·sqrt(1/1 + 1/1); t(0.95, 4) = 2.1318.
    assertClose(stats.threshold, 2.1318 * 0.001 * Math.SQRT2, 1e-6);
    assert.equal(keep, true);
  });

  it('pools the baseline noise with the head and candidate spreads, adding their degrees of freedom', () => {
    const headValues = [1, 1.002]; // σ² = 2e-6, 1 dof
    const candidateValues = [0.99, 0.992, 0.994]; // σ² = 4e-6, 2 dof
    const { stats } = decideKeepOrDiscard(input({ headValues, candidateValues, noise: { sigma: 0.001, degreesOfFreedom: 3 } }));
    const pooledVariance = (3 * 1e-6 + 1 * 2e-6 + 2 * 4e-6) / 6;
    assertClose(stats.sigma, Math.sqrt(pooledVariance), 1e-12);
    const standardError = Math.sqrt(pooledVariance) * Math.sqrt(1 / 3 + 1 / 2);
    assertClose(stats.threshold, 1.9432 * standardError, 1e-7, 'uses t(0.95, 6)');
  });

  it('measures the noise from the repeats alone when no baseline noise is known', () => {
    const { stats } = decideKeepOrDiscard(input({ headValues: [1, 1.002], candidateValues: [0.9], noise: null }));
    assertClose(stats.sigma, Math.sqrt(2e-6), 1e-12);
    // 1 dof: t(0.95, 1) = 6.3138; SE = σ·sqrt(1 + 1/2).
    assertClose(stats.threshold, 6.3138 * Math.sqrt(2e-6) * Math.sqrt(1.5), 1e-6);
  });

  it('falls back to minEffect and says so when the noise is unknown (no repeats anywhere)', () => {
    const kept = decideKeepOrDiscard(input({ headValues: [1], candidateValues: [0.99] }));
    assert.equal(kept.keep, true);
    assert.equal(kept.stats.sigma, null);
    assert.equal(kept.stats.pValue, null);
    assert.equal(kept.stats.threshold, 0);
    assert.equal(kept.stats.summary, 'Δ=-0.010 (better), σ=unknown, n=1/1, threshold=0 → keep: noise unknown (no repeated runs), so any improvement counts');

    const small = decideKeepOrDiscard(input({ minEffect: 0.02, headValues: [1], candidateValues: [0.99] }));
    assert.equal(small.keep, false);
    assert.equal(small.stats.threshold, 0.02);
    assert.equal(
      small.stats.summary,
      'Δ=-0.010 (better), σ=unknown, n=1/1, threshold=0.020 → discard: noise unknown (no repeated runs); the improvement is smaller than minEffect',
    );

    const equal = decideKeepOrDiscard(input({ headValues: [1], candidateValues: [1] }));
    assert.equal(equal.keep, false);
    assert.match(equal.stats.summary, /noise unknown \(no repeated runs\); no better than the head$/);
  });

  it('treats a baseline noise with no degrees of freedom as unknown', () => {
    const { stats } = decideKeepOrDiscard(input({ headValues: [1], candidateValues: [0.99], noise: { sigma: 0.5, degreesOfFreedom: 0 } }));
    assert.equal(stats.sigma, null);
    assert.match(stats.summary, /noise unknown/);
  });

  it('keeps any improvement beyond minEffect when the runs are deterministic (σ = 0)', () => {
    const tiny = decideKeepOrDiscard(
      input({ headValues: [0.5, 0.5], candidateValues: [0.4999, 0.4999], noise: { sigma: 0, degreesOfFreedom: 2 } }),
    );
    assert.equal(tiny.keep, true);
    assert.equal(tiny.stats.sigma, 0);
    assert.equal(tiny.stats.pValue, null);
    assert.match(tiny.stats.summary, /σ=0,.*keep: runs are deterministic \(σ=0\), so any improvement counts$/);

    const belowMinEffect = decideKeepOrDiscard(
      input({ minEffect: 0.001, headValues: [0.5, 0.5], candidateValues: [0.4999, 0.4999], noise: { sigma: 0, degreesOfFreedom: 2 } }),
    );
    assert.equal(belowMinEffect.keep, false);
    assert.match(belowMinEffect.stats.summary, /runs are deterministic \(σ=0\); the improvement is smaller than minEffect$/);

    const equal = decideKeepOrDiscard(input({ headValues: [0.5, 0.5], candidateValues: [0.5, 0.5], noise: null }));
    assert.equal(equal.keep, false);
  });

  it('uses minEffect as the threshold when it is larger than the noise threshold', () => {
    const { keep, stats } = decideKeepOrDiscard(
      input({ direction: 'maximize', minEffect: 0.05, headValues: [0.5, 0.52], candidateValues: [0.53, 0.55] }),
    );
    assert.equal(keep, false);
    assert.equal(stats.threshold, 0.05);
    assert.match(stats.summary, /threshold=0\.050, .*discard: the improvement is smaller than minEffect$/);

    const beyond = decideKeepOrDiscard(input({ direction: 'maximize', minEffect: 0.05, headValues: [0.5, 0.52], candidateValues: [0.6, 0.62] }));
    assert.equal(beyond.keep, true);
    assert.match(beyond.stats.summary, /keep: the improvement is beyond the noise and larger than minEffect$/);
  });

  it('keeps a higher pass rate beyond the noise when maximizing', () => {
    const { keep, stats } = decideKeepOrDiscard(
      input({ direction: 'maximize', headValues: [0.6, 0.62, 0.61], candidateValues: [0.8, 0.82, 0.81], noise: { sigma: 0.01, degreesOfFreedom: 2 } }),
    );
    assert.equal(keep, true);
    assertClose(stats.delta, 0.2, 1e-12);
    assert.match(stats.summary, /^Δ=\+0\.200 \(better\), σ=0\.010,/);
  });

  it('demands more at a higher confidence and less with more runs', () => {
    const noise = { sigma: 0.0012, degreesOfFreedom: 2 };
    const at = (confidence: number, runs: number) =>
      decideKeepOrDiscard(input({ confidence, headValues: Array(runs).fill(1), candidateValues: Array(runs).fill(0.999), noise })).stats.threshold!;
    assert.ok(at(0.99, 3) > at(0.95, 3));
    assert.ok(at(0.95, 3) > at(0.8, 3));
    assert.ok(at(0.95, 10) < at(0.95, 3));
    const withinNoise = decideKeepOrDiscard(input({ confidence: 0.975, headValues: HEAD, candidateValues: shifted(HEAD, -0.001), noise }));
    assert.match(withinNoise.stats.summary, /within the noise at 97\.5% confidence$/);
  });

  it('reports a tiny p-value as p<0.001', () => {
    const { stats } = decideKeepOrDiscard(input({ headValues: HEAD, candidateValues: shifted(HEAD, -0.05), noise: { sigma: 0.0012, degreesOfFreedom: 2 } }));
    assert.match(stats.summary, /, p<0\.001 → keep/);
  });

  it('scales the printed precision to the metric', () => {
    const { stats } = decideKeepOrDiscard(input({ headValues: [1200, 1260, 1230], candidateValues: [900, 960, 930], noise: null }));
    assert.match(stats.summary, /^Δ=-300 \(better\), σ=30, n=3\/3, threshold=52, p<0\.001 → keep/);
  });
});

describe('decideKeepOrDiscard: invalid input', () => {
  it('refuses an experiment without candidate values: all its runs crashed, which the caller records', () => {
    assert.throws(() => decideKeepOrDiscard(input({ candidateValues: [] })), /at least one candidate value.*recorded as a crash/);
  });

  it('refuses a head without values', () => {
    assert.throws(() => decideKeepOrDiscard(input({ headValues: [] })), /at least one head value/);
  });

  it('refuses a confidence outside (0, 1), a negative minEffect and non-finite values', () => {
    assert.throws(() => decideKeepOrDiscard(input({ confidence: 1 })), /confidence must lie in \(0, 1\), got 1/);
    assert.throws(() => decideKeepOrDiscard(input({ confidence: 0 })), /confidence/);
    assert.throws(() => decideKeepOrDiscard(input({ minEffect: -0.1 })), /minEffect must be a finite number ≥ 0/);
    assert.throws(() => decideKeepOrDiscard(input({ candidateValues: [Number.NaN] })), /finite/);
    assert.throws(() => decideKeepOrDiscard(input({ headValues: [Infinity] })), /finite/);
  });
});

describe('decideKeepOrDiscard on crafted samples: what each rule makes of them', () => {
  const both = (headValues: number[], candidateValues: number[], noise: KeepOrDiscardInput['noise'] = null) => ({
    strict: decideKeepOrDiscard(input({ rule: 'strict', headValues, candidateValues, noise })).keep,
    noiseAware: decideKeepOrDiscard(input({ headValues, candidateValues, noise })),
  });

  it('equal distributions: the same five values in another order are not an improvement', () => {
    const head = [1.003, 0.998, 1.001, 0.999, 1.002];
    const { strict, noiseAware } = both(head, [0.999, 1.002, 0.998, 1.003, 1.001]);
    assert.equal(strict, false);
    assert.equal(noiseAware.keep, false);
    assertClose(noiseAware.stats.pValue, 0.5, 1e-9, 'p');
  });

  it('a small real gain: within the noise at 3 runs each, beyond it at 12', () => {
    const noise = [0.0012, -0.0012, 0, 0.0008, -0.0008, 0.0004, -0.0004, 0.0010, -0.0010, 0.0002, -0.0002, 0];
    const head = (n: number) => noise.slice(0, n).map((e) => 1 + e);
    const candidate = (n: number) => noise.slice(0, n).reverse().map((e) => 0.999 + e);
    const few = both(head(3), candidate(3));
    assert.equal(few.strict, true, 'strict keeps it on any sample');
    assert.equal(few.noiseAware.keep, false);
    const many = both(head(12), candidate(12));
    assert.equal(many.noiseAware.keep, true, many.noiseAware.stats.summary);
  });

  it('a large gain is kept by both rules, with a tiny p-value', () => {
    const { strict, noiseAware } = both(HEAD, shifted(HEAD, -0.05));
    assert.equal(strict, true);
    assert.equal(noiseAware.keep, true);
    assert.ok(noiseAware.stats.pValue! < 0.001);
  });

  it('one outlier: a single lucky run pulls the mean below the head, but its spread shows it is not a real gain', () => {
    const { strict, noiseAware } = both(HEAD, [1.0008, 0.9994, 1.0011, 0.96]);
    assert.equal(strict, true, 'the strict rule is fooled by the mean');
    assert.equal(noiseAware.keep, false, noiseAware.stats.summary);
    assert.match(noiseAware.stats.summary, /within the noise/);
  });

  it('n=1 against n=1: only the baseline noise can tell, and a gain inside it is discarded', () => {
    const { strict, noiseAware } = both([1.0], [0.999], { sigma: 0.0012, degreesOfFreedom: 2 });
    assert.equal(strict, true);
    assert.equal(noiseAware.keep, false);
    assert.equal(noiseAware.stats.nCandidate, 1);
    assert.equal(noiseAware.stats.nHead, 1);
  });
});
