import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  mean,
  normalCdf,
  normalQuantile,
  pooledStandardDeviation,
  sampleStandardDeviation,
  spreadOf,
  studentTCdf,
  studentTQuantile,
  studentTUpperTail,
} from '../../services/controller/src/decisions/statistics.js';

function assertClose(actual: number, expected: number, tolerance: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} expected ${expected} ± ${tolerance}, got ${actual}`);
}

describe('mean', () => {
  it('averages the values', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assert.equal(mean([-7]), -7);
  });

  it('refuses no values and non-finite values', () => {
    assert.throws(() => mean([]), /mean of no values/);
    assert.throws(() => mean([1, Number.NaN]), /finite/);
    assert.throws(() => mean([1, Infinity]), /finite/);
  });
});

describe('sampleStandardDeviation', () => {
  it('uses n - 1 in the denominator', () => {
    // Σ(x - 5)² = 32 over 8 values: population σ = 2, sample σ = sqrt(32 / 7).
    assertClose(sampleStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), 1e-12);
    assertClose(sampleStandardDeviation([1, 2]), Math.SQRT1_2, 1e-15);
  });

  it('is 0 for identical values', () => {
    assert.equal(sampleStandardDeviation([0.9979, 0.9979, 0.9979]), 0);
  });

  it('stays accurate when the spread is tiny next to the level', () => {
    assertClose(sampleStandardDeviation([1e9 + 1, 1e9 + 2, 1e9 + 3]), 1, 1e-9);
    assertClose(sampleStandardDeviation([1.0, 1.0012, 0.9988]), 0.0012, 1e-15);
  });

  it('needs at least two values', () => {
    assert.throws(() => sampleStandardDeviation([1]), /at least 2 values, got 1/);
    assert.throws(() => sampleStandardDeviation([]), /at least 2 values, got 0/);
  });
});

describe('spreadOf', () => {
  it('gives σ with n - 1 degrees of freedom, or null below two values', () => {
    assert.deepEqual(spreadOf([1, 2, 3]), { sigma: 1, degreesOfFreedom: 2 });
    assert.equal(spreadOf([1]), null);
    assert.equal(spreadOf([]), null);
  });
});

describe('pooledStandardDeviation', () => {
  it('weights variances by their degrees of freedom, which add up', () => {
    const pooled = pooledStandardDeviation([
      { sigma: 1, degreesOfFreedom: 2 },
      { sigma: 2, degreesOfFreedom: 2 },
    ]);
    assert.ok(pooled);
    assertClose(pooled.sigma, Math.sqrt((2 * 1 + 2 * 4) / 4), 1e-15);
    assert.equal(pooled.degreesOfFreedom, 4);
  });

  it('favours the spread measured on more runs', () => {
    const pooled = pooledStandardDeviation([
      { sigma: 1, degreesOfFreedom: 9 },
      { sigma: 3, degreesOfFreedom: 1 },
    ]);
    assertClose(pooled!.sigma, Math.sqrt((9 + 9) / 10), 1e-15);
  });

  it('returns a single spread unchanged', () => {
    assert.deepEqual(pooledStandardDeviation([{ sigma: 0.0012, degreesOfFreedom: 2 }]), { sigma: 0.0012, degreesOfFreedom: 2 });
  });

  it('is null when there is nothing to pool', () => {
    assert.equal(pooledStandardDeviation([]), null);
    assert.equal(pooledStandardDeviation([{ sigma: 5, degreesOfFreedom: 0 }]), null);
  });

  it('rejects negative or non-finite input', () => {
    assert.throws(() => pooledStandardDeviation([{ sigma: -1, degreesOfFreedom: 2 }]), /sigma/);
    assert.throws(() => pooledStandardDeviation([{ sigma: Number.NaN, degreesOfFreedom: 2 }]), /sigma/);
    assert.throws(() => pooledStandardDeviation([{ sigma: 1, degreesOfFreedom: -1 }]), /degrees of freedom/);
  });
});

describe('normal distribution', () => {
  it('matches table values of the CDF', () => {
    assert.equal(normalCdf(0), 0.5);
    assertClose(normalCdf(1.96), 0.975, 5e-5);
    assertClose(normalCdf(-1), 0.158655, 1e-6);
    assertClose(normalCdf(1.644854), 0.95, 1e-6);
    assertClose(normalCdf(-8), 6.22e-16, 1e-17);
  });

  it('matches table values of the quantile', () => {
    assertClose(normalQuantile(0.95), 1.644854, 1e-6);
    assertClose(normalQuantile(0.975), 1.959964, 1e-6);
    assertClose(normalQuantile(0.99), 2.326348, 1e-6);
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(1), Infinity);
    assert.equal(normalQuantile(0), -Infinity);
  });

  it('has a quantile that inverts the CDF', () => {
    for (const p of [1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6]) assertClose(normalCdf(normalQuantile(p)), p, 1e-12, `p=${p}`);
  });

  it('rejects probabilities outside [0, 1] and NaN', () => {
    assert.throws(() => normalQuantile(1.5), /\[0, 1\]/);
    assert.throws(() => normalQuantile(-0.1), /\[0, 1\]/);
    assert.throws(() => normalQuantile(Number.NaN), /\[0, 1\]/);
    assert.throws(() => normalCdf(Number.NaN), /NaN/);
  });
});

describe('Student t distribution', () => {
  // One-sided critical values t(p, dof), from any statistics table.
  const table: Array<[p: number, dof: number, t: number]> = [
    [0.95, 1, 6.3138],
    [0.95, 2, 2.92],
    [0.95, 3, 2.3534],
    [0.95, 4, 2.1318],
    [0.95, 5, 2.015],
    [0.95, 6, 1.9432],
    [0.95, 10, 1.8125],
    [0.95, 30, 1.6973],
    [0.9, 20, 1.3253],
    [0.975, 10, 2.2281],
    [0.99, 5, 3.3649],
    [0.995, 2, 9.9248],
    [0.999, 10, 4.1437],
  ];

  it('matches table values of the one-sided quantile', () => {
    for (const [p, dof, t] of table) assertClose(studentTQuantile(p, dof), t, 1e-4, `t(${p}, ${dof})`);
  });

  it('matches table values of the CDF', () => {
    for (const [p, dof, t] of table) assertClose(studentTCdf(t, dof), p, 5e-5, `P(T${dof} ≤ ${t})`);
  });

  it('matches closed forms at 1 and 2 degrees of freedom', () => {
    for (const t of [-5, -1, -0.3, 0, 0.7, 2, 12]) {
      assertClose(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-14, `Cauchy t=${t}`);
      assertClose(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-14, `dof 2 t=${t}`);
    }
  });

  it('is symmetric around 0', () => {
    assert.equal(studentTCdf(0, 7), 0.5);
    assert.equal(studentTQuantile(0.5, 7), 0);
    assertClose(studentTQuantile(0.05, 4), -studentTQuantile(0.95, 4), 1e-12);
    assertClose(studentTCdf(-1.3, 9), 1 - studentTCdf(1.3, 9), 1e-14);
  });

  it('has a quantile that inverts the CDF, for fractional degrees of freedom too', () => {
    for (const dof of [1, 2.5, 3, 17, 250]) {
      for (const p of [0.001, 0.05, 0.3, 0.5, 0.9, 0.95, 0.999]) {
        assertClose(studentTCdf(studentTQuantile(p, dof), dof), p, 1e-10, `p=${p} dof=${dof}`);
      }
    }
  });

  it('approaches the normal as degrees of freedom grow, and equals it at infinity', () => {
    assertClose(studentTQuantile(0.95, 1e6), normalQuantile(0.95), 1e-5);
    assert.equal(studentTQuantile(0.95, Infinity), normalQuantile(0.95));
    assert.equal(studentTCdf(1.5, Infinity), normalCdf(1.5));
  });

  it('has heavier tails than the normal at few degrees of freedom', () => {
    assert.ok(studentTQuantile(0.95, 2) > studentTQuantile(0.95, 10));
    assert.ok(studentTQuantile(0.95, 10) > normalQuantile(0.95));
  });

  it('gives one-sided p-values, precise far out in the tail', () => {
    assertClose(studentTUpperTail(2.015, 5), 0.05, 5e-5);
    assert.equal(studentTUpperTail(0, 3), 0.5);
    assertClose(studentTUpperTail(-2.015, 5), 0.95, 5e-5);
    const farTail = studentTUpperTail(60, 30);
    assert.ok(farTail > 0 && farTail < 1e-30, `P(T30 ≥ 60) = ${farTail}`);
  });

  it('rejects invalid degrees of freedom and probabilities', () => {
    assert.throws(() => studentTQuantile(0.95, 0), /degrees of freedom must be > 0, got 0/);
    assert.throws(() => studentTQuantile(0.95, -2), /degrees of freedom/);
    assert.throws(() => studentTCdf(1, Number.NaN), /degrees of freedom/);
    assert.throws(() => studentTQuantile(1.01, 3), /\[0, 1\]/);
    assert.throws(() => studentTCdf(Number.NaN, 3), /NaN/);
  });
});
