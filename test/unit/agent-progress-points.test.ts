import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressPoints } from '../../services/agent/src/metrics/progress-points.js';

describe('progressPoints', () => {
  it('turns name=value pairs into points, with the step from a step pair', () => {
    assert.deepEqual(progressPoints('step=10 loss=2.5 lr=1e-4', 7), [
      { name: 'loss', value: 2.5, step: 10, ts: 7 },
      { name: 'lr', value: 0.0001, step: 10, ts: 7 },
    ]);
  });

  it('has no step when the line has none', () => {
    assert.deepEqual(progressPoints('2026-01-05T10:00:00Z accuracy=0.9', 1), [{ name: 'accuracy', value: 0.9, ts: 1 }]);
  });

  it('gives nothing for a line without pairs, or with only a step', () => {
    assert.deepEqual(progressPoints('val_bpb: 0.99', 1), []);
    assert.deepEqual(progressPoints('step=3', 1), []);
  });

  it('leaves out values that are not finite', () => {
    assert.deepEqual(progressPoints('step=nan loss=nan acc=0.5', 1), [{ name: 'acc', value: 0.5, ts: 1 }]);
  });
});
