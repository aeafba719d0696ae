// The skill flavor's keep/discard rule: a one-sided two-proportion z-test on pass counts, so a gain is
// kept only beyond the binomial noise of the number of evals × outputs behind it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideByPassRate } from '../../services/controller/src/decisions/pass-rate.js';

const noiseAware = (head: [number, number], candidate: [number, number], extra: Partial<Parameters<typeof decideByPassRate>[0]> = {}) =>
  decideByPassRate({
    rule: 'noise-aware', confidence: 0.95, minEffect: 0,
    head: { passes: head[0], trials: head[1] }, candidate: { passes: candidate[0], trials: candidate[1] }, ...extra,
  });

describe('decideByPassRate', () => {
  it('keeps a gain beyond the binomial noise, with the numbers in its summary', () => {
    const { keep, stats } = noiseAware([16, 32], [24, 32]);
    assert.equal(keep, true);
    // pooled p = 40/64, σ = sqrt(p(1-p)(2/32)) = 0.1210, threshold = 1.645σ = 0.1991, z = 0.25/0.1210 = 2.066.
    assert.ok(Math.abs(stats.sigma! - 0.12103) < 1e-4, String(stats.sigma));
    assert.ok(Math.abs(stats.threshold! - 0.19908) < 1e-4, String(stats.threshold));
    assert.ok(Math.abs(stats.pValue! - 0.01941) < 1e-4, String(stats.pValue));
    assert.equal(stats.nCandidate, 32);
    assert.match(stats.summary, /^pass rate 24\/32 \(75%\) vs head 16\/32 \(50%\): Δ=\+25 points, σ=12\.1, threshold=19\.9, p=0\.019 → keep: the improvement is beyond the binomial noise at 95% confidence$/);
  });

  it('discards the same gain on too few outputs to tell it from noise', () => {
    const { keep, stats } = noiseAware([2, 4], [3, 4]);
    assert.equal(keep, false);
    assert.match(stats.summary, /→ discard: the improvement is within the binomial noise at 95% confidence/);
  });

  it('discards equal and worse rates, and a perfect head cannot be beaten', () => {
    assert.match(noiseAware([10, 20], [10, 20]).stats.summary, /no better than the head/);
    assert.match(noiseAware([10, 20], [8, 20]).stats.summary, /worse than the head/);
    const perfect = noiseAware([20, 20], [20, 20]);
    assert.equal(perfect.keep, false);
    assert.equal(perfect.stats.sigma, 0);
  });

  it('keeps the first fix from a zero baseline when the outputs are enough', () => {
    assert.equal(noiseAware([0, 32], [8, 32]).keep, true);
  });

  it('honours minEffect over the noise, and the strict rule keeps any gain', () => {
    assert.equal(noiseAware([16, 32], [24, 32], { minEffect: 0.3 }).keep, false);
    const strict = decideByPassRate({ rule: 'strict', confidence: 0.95, minEffect: 0, head: { passes: 2, trials: 4 }, candidate: { passes: 3, trials: 4 } });
    assert.equal(strict.keep, true);
    assert.equal(strict.stats.rule, 'strict');
  });

  it('refuses an empty side', () => {
    assert.throws(() => noiseAware([0, 0], [1, 4]), RangeError);
  });
});
