// The median stopping rule on crafted curves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { medianStoppingRule, type CurvePoint } from '../../services/controller/src/decisions/median-stopping.js';

const curve = (f: (step: number) => number, steps: number): CurvePoint[] => Array.from({ length: steps }, (_, i) => ({ step: i + 1, value: f(i + 1) }));
const HEAD = [curve((s) => 1 + 1 / s, 20), curve((s) => 1.02 + 1 / s, 20), curve((s) => 0.98 + 1 / s, 20)];
const rule = (candidate: CurvePoint[], extra: Partial<Parameters<typeof medianStoppingRule>[0]> = {}) =>
  medianStoppingRule({ direction: 'minimize', candidate, references: HEAD, minProgress: 0.25, margin: 0, ...extra });

describe('medianStoppingRule', () => {
  it('stops a curve clearly above the head runs\' median once past the minimum progress, with the evidence', () => {
    assert.deepEqual(rule(curve((s) => 2 + 1 / s, 4)), { stop: false }, 'step 4 of 20 is before a quarter');
    const verdict = rule(curve((s) => 2 + 1 / s, 5));
    assert.equal(verdict.stop, true);
    if (!verdict.stop) return;
    assert.equal(verdict.step, 5);
    assert.equal(verdict.references, 3);
    assert.ok(Math.abs(verdict.median - (1 + (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 5)) < 1e-12, 'the median running mean of the head at step 5');
    assert.match(verdict.summary, /^at step 5 its running mean 2\.4567 is worse than 1\.4567, the median of the head's 3 runs at that step$/);
  });

  it('lets an equal or better curve run, and respects the margin', () => {
    assert.deepEqual(rule(curve((s) => 1 + 1 / s, 10)), { stop: false });
    assert.deepEqual(rule(curve((s) => 0.5 + 1 / s, 10)), { stop: false });
    assert.deepEqual(rule(curve((s) => 1.05 + 1 / s, 10), { margin: 0.1 }), { stop: false }, 'worse, but within the margin');
    assert.equal(rule(curve((s) => 1.05 + 1 / s, 10)).stop, true);
  });

  it('turns around when maximizing', () => {
    const accuracy = [curve((s) => 0.9 - 1 / (s + 1), 20)];
    assert.equal(rule(curve((s) => 0.5 - 1 / (s + 1), 8), { direction: 'maximize', references: accuracy }).stop, true);
    assert.deepEqual(rule(curve((s) => 0.95 - 1 / (s + 1), 8), { direction: 'maximize', references: accuracy }), { stop: false });
  });

  it('does nothing without a curve on either side', () => {
    assert.deepEqual(rule([]), { stop: false });
    assert.deepEqual(rule(curve((s) => 9, 10), { references: [] }), { stop: false });
    assert.deepEqual(rule(curve((s) => 9, 10), { references: [[]] }), { stop: false });
  });
});
