// Adaptive repeats: which candidates run again before their decision, and how many more times.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extraRunsFor } from '../../services/controller/src/decisions/adaptive-repeats.js';
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
