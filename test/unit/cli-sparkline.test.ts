import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sparkline } from '../../services/cli/src/view/sparkline.js';

describe('sparkline', () => {
  it('climbs as a minimized score falls', () => {
    assert.equal(sparkline([8, 7, 6, 5, 4, 3, 2, 1], 'minimize', 20), '▁▂▃▄▅▆▇█');
  });

  it('climbs as a maximized score rises', () => {
    assert.equal(sparkline([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], 'maximize', 20), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([0.8, 0.1], 'maximize', 20), '█▁');
  });

  it('scales between the worst and the best value of the series', () => {
    assert.equal(sparkline([1.05, 1.05, 1.0, 1.0, 0.95], 'minimize', 20), '▁▁▅▅█');
  });

  it('puts a constant series, or a single value, on the floor', () => {
    assert.equal(sparkline([1.2, 1.2, 1.2], 'minimize', 20), '▁▁▁');
    assert.equal(sparkline([0.4], 'maximize', 20), '▁');
  });

  it('is empty for no values or no room', () => {
    assert.equal(sparkline([], 'minimize', 20), '');
    assert.equal(sparkline([1, 2], 'minimize', 0), '');
    assert.equal(sparkline([1, 2], 'minimize', -3), '');
  });

  it('leaves a gap for a value that is not a number, and ignores it in the scale', () => {
    assert.equal(sparkline([1, Number.NaN, 3, Number.POSITIVE_INFINITY], 'maximize', 20), '▁ █ ');
    assert.equal(sparkline([Number.NaN, Number.NaN], 'maximize', 20), '  ');
  });

  it('fits a long series into the width, each bar the last value of its bucket', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // a running best that keeps improving
    const line = sparkline(values, 'minimize', 10);
    assert.equal([...line].length, 10);
    assert.equal(line, '▁▂▃▃▄▅▆▆▇█');
  });
});
