// Adaptive repeats: which candidates run again before their decision, and how many more times.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extraRunsFor, headRunsFor, isRetryableDiscard, retryRunsFor } from '../../services/controller/src/decisions/adaptive-repeats.js';
import { decideKeepOrDiscard } from '../../services/controller/src/decisions/keep-or-discard.js';
import type { DecisionSpec } from '../../schemas/src/study-spec.js';

const decision = (extra: Partial<DecisionSpec> = {}): DecisionSpec => ({ rule: 'noise-aware', confidence: 0.95, minEffect: 0, maxRepeats: 8, ...extra });

function judged(candidateValues: number[], headValues = [1.01, 0.99, 1.01]) {
  return decideKeepOrDiscard({ rule: 'noise-aware', direction: 'minimize', confidence: 0.95, minEffect: 0, headValues, candidateValues, noise: null });
}

describe('extraRunsFor', () => {
  it('doubles the runs of a candidate better than the head but within the noise, up to the cap', () => {
    const small = judged([0.978]);
    assert.equal(small.keep, false);
    assert.equal(extraRunsFor(decision(), 1, small.keep, small.stats), 1);
    assert.equal(extraRunsFor(decision(), 4, small.keep, small.stats), 4);
    assert.equal(extraRunsFor(decision(), 6, small.keep, small.stats), 2, 'never past maxRepeats');
    assert.equal(extraRunsFor(decision(), 8, small.keep, small.stats), 0, 'at the cap it is decided');
  });

  it('decides at once a kept candidate, a worse or equal one, and one whose gain is below minEffect', () => {
    const large = judged([0.9]);
    assert.equal(large.keep, true);
    assert.equal(extraRunsFor(decision(), 1, large.keep, large.stats), 0);
    const worse = judged([1.05]);
    assert.equal(extraRunsFor(decision(), 1, worse.keep, worse.stats), 0);
    const equal = judged([1.003333333333333]);
    assert.equal(extraRunsFor(decision(), 1, equal.keep, equal.stats), 0);
    const small = judged([0.998]);
    assert.equal(extraRunsFor(decision({ minEffect: 0.01 }), 1, small.keep, small.stats), 0, 'a gain of 0.005 can never beat minEffect 0.01');
  });

  it('is off without maxRepeats, under the strict rule, and without statistics', () => {
    const small = judged([0.978]);
    assert.equal(extraRunsFor(decision({ maxRepeats: undefined }), 1, small.keep, small.stats), 0);
    assert.equal(extraRunsFor(decision({ rule: 'strict' }), 1, small.keep, small.stats), 0);
    assert.equal(extraRunsFor(decision(), 1, false, null), 0);
  });
});

describe('the head beside an extension (headRunsFor)', () => {
  it('brings the head up to the extended candidate, never past maxRepeats, and never takes runs away', () => {
    assert.equal(headRunsFor(decision(), 3, 4), 1);
    assert.equal(headRunsFor(decision(), 1, 2), 1);
    assert.equal(headRunsFor(decision(), 3, 16), 5, 'up to maxRepeats (8)');
    assert.equal(headRunsFor(decision(), 10, 4), 0);
  });
  it('adds nothing without maxRepeats or under the strict rule', () => {
    assert.equal(headRunsFor(decision({ maxRepeats: undefined }), 1, 4), 0);
    assert.equal(headRunsFor(decision({ rule: 'strict' }), 1, 4), 0);
  });
});

describe('retrying a discard within the noise (isRetryableDiscard, retryRunsFor)', () => {
  it('retries a change that looked worse, or better too little, but not beyond the noise', () => {
    const worseWithin = judged([1.02]);
    assert.ok(worseWithin.stats.delta! < 0 && worseWithin.stats.delta! >= -worseWithin.stats.threshold!);
    assert.equal(isRetryableDiscard(decision(), 'discard', worseWithin.stats), true);
    assert.equal(isRetryableDiscard(decision(), 'discard', judged([0.995]).stats), true);
  });
  it('does not retry a change worse beyond the noise, or one measured to the cap', () => {
    const worse = judged([1.3]);
    assert.ok(worse.stats.delta! < -worse.stats.threshold!);
    assert.equal(isRetryableDiscard(decision(), 'discard', worse.stats), false);
    const atCap = judged([1.02, 1.0, 0.99, 1.01, 1.0, 1.02, 0.98, 1.0]);
    assert.equal(atCap.stats.nCandidate, 8);
    assert.equal(isRetryableDiscard(decision(), 'discard', atCap.stats), false);
  });
  it('retries only discards, only under the noise-aware rule with maxRepeats', () => {
    const within = judged([1.02]).stats;
    for (const outcome of ['keep', 'crash', 'guard-failed', 'early-stopped', 'reverted', 'screened-out', null]) {
      assert.equal(isRetryableDiscard(decision(), outcome, within), false, String(outcome));
    }
    assert.equal(isRetryableDiscard(decision({ maxRepeats: undefined }), 'discard', within), false);
    assert.equal(isRetryableDiscard(decision({ rule: 'strict' }), 'discard', within), false);
    assert.equal(isRetryableDiscard(decision(), 'discard', null), false);
  });
  it('gives a retry as many runs as the change has had, so its pooled runs double up to the cap', () => {
    assert.deepEqual([1, 2, 4, 5, 7].map((n) => retryRunsFor(decision(), n)), [1, 2, 4, 3, 1]);
  });
});
