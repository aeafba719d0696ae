// The promotion rules of screen, then promote (spec.stages), on numbers worked out by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditDue, promoteIfTopFraction, promoteUnlessWorseThanHead, screenTrust } from '../../services/controller/src/decisions/promotion.js';

const names = { stage: { index: 0, name: 'screen' }, next: 'full' };

describe('better-than-head-minus-noise', () => {
  const rule = (candidateValues: number[], headValues: number[], noise: { sigma: number; degreesOfFreedom: number } | null = null, direction: 'minimize' | 'maximize' = 'minimize') =>
    promoteUnlessWorseThanHead({ ...names, direction, headValues, candidateValues, noise });

  it('promotes a candidate better than the head at the stage', () => {
    const verdict = rule([1.02], [1.03, 1.031, 1.029]);
    assert.equal(verdict.promoted, true);
    assert.equal(verdict.rule, 'better-than-head-minus-noise');
    assert.equal(verdict.headMean, 1.03);
    assert.match(verdict.summary, /^screen: 1\.0200 is better than the head's 1\.0300: promoted to full$/);
  });

  it('promotes one worse by less than the noise, one standard error: σ·√(1/n + 1/n_head)', () => {
    // Head σ = 0.001 (2 dof), candidate one run: margin = 0.001·√(1 + 1/3) = 0.0011547.
    const margin = 0.001 * Math.sqrt(1 + 1 / 3);
    const within = rule([1.031], [1.03, 1.031, 1.029]);
    assert.equal(within.promoted, true);
    assert.ok(Math.abs(within.margin! - margin) < 1e-12);
    assert.match(within.summary, /^screen: 1\.0310 is worse than the head's 1\.0300, but within the noise \(0\.0012\): promoted to full$/);
    const beyond = rule([1.0432], [1.03, 1.031, 1.029]);
    assert.equal(beyond.promoted, false);
    assert.equal(beyond.summary, "screen: 1.0432 is worse than the head's 1.0300 by more than the noise (0.0012): not promoted");
  });

  it('pools the measured noise at the stage with the runs, as the keep/discard rule does', () => {
    // A head of one run (a kept candidate's screen) and the baseline's screen spread σ = 0.004 over 2 dof.
    const verdict = rule([1.035], [1.03], { sigma: 0.004, degreesOfFreedom: 2 });
    assert.ok(Math.abs(verdict.margin! - 0.004 * Math.sqrt(2)) < 1e-12);
    assert.equal(verdict.promoted, true);
    assert.equal(rule([1.036], [1.03], { sigma: 0.004, degreesOfFreedom: 2 }).promoted, false);
  });

  it("adds the screen's own error per configuration, for the candidate's and the head's: √(σ²(1/n + 1/n_head) + 2σ_bias²)", () => {
    const verdict = promoteUnlessWorseThanHead({ ...names, direction: 'minimize', headValues: [1.03, 1.031, 1.029], candidateValues: [1.05], noise: null, biasSigma: 0.02 });
    assert.equal(verdict.promoted, true);
    assert.ok(Math.abs(verdict.margin! - Math.sqrt(0.001 ** 2 * (1 + 1 / 3) + 2 * 0.02 ** 2)) < 1e-12);
    assert.equal(verdict.summary, "screen: 1.0500 is worse than the head's 1.0300, but within the noise (0.0283, with screen's own error per configuration): promoted to full");
    assert.equal(promoteUnlessWorseThanHead({ ...names, direction: 'minimize', headValues: [1.03, 1.031, 1.029], candidateValues: [1.05], noise: null, biasSigma: 0 }).promoted, false);
  });

  it('with the noise unknown allows nothing: equal goes on, worse does not', () => {
    assert.equal(rule([1.03], [1.03]).promoted, true);
    const worse = rule([1.0301], [1.03]);
    assert.equal(worse.promoted, false);
    assert.match(worse.summary, /by more than the noise \(unknown: no repeated runs at this stage, so none is allowed\): not promoted$/);
  });

  it('reads better the other way round when maximizing', () => {
    assert.equal(rule([0.9], [0.8], null, 'maximize').promoted, true);
    assert.equal(rule([0.7], [0.8], null, 'maximize').promoted, false);
  });

  it('promotes when the head has no result at the stage to compare with', () => {
    const verdict = rule([5], []);
    assert.equal(verdict.promoted, true);
    assert.equal(verdict.headMean, null);
    assert.match(verdict.summary, /the head has no result at this stage to compare with: promoted to full/);
  });
});

describe('top-fraction', () => {
  const rule = (value: number, earlier: number[], fraction = 1 / 3) =>
    promoteIfTopFraction({ ...names, direction: 'minimize', fraction, candidateValues: [value], earlier });

  it('always promotes the first candidate screened', () => {
    const verdict = rule(9, []);
    assert.deepEqual([verdict.promoted, verdict.rank, verdict.of, verdict.promotedCount], [true, 1, 1, 1]);
  });

  it('promotes the best ⌈fraction·n⌉ of itself and the earlier ones', () => {
    // Of 3 with fraction 1/3 exactly one goes on (1/3·3 must not round up to 2).
    assert.equal(rule(1.1, [1.0, 1.2]).promoted, false);
    assert.equal(rule(0.9, [1.0, 1.2]).promoted, true);
    // Of 7, the best 3: rank 3 goes on, rank 4 does not.
    const earlier = [1, 2, 3, 4, 5, 6];
    const third = rule(2.5, earlier);
    assert.deepEqual([third.promoted, third.rank, third.of, third.promotedCount], [true, 3, 7, 3]);
    const fourth = rule(3.5, earlier);
    assert.deepEqual([fourth.promoted, fourth.rank], [false, 4]);
    assert.equal(fourth.summary, 'screen: 3.5000 ranks 4 of 7 screened on its branch (the best 3 go on): not promoted');
  });

  it('ranks ties in the candidate’s favour, and fraction 1 promotes everything', () => {
    assert.equal(rule(1, [1, 1, 1, 1, 1], 0.2).rank, 1);
    assert.equal(rule(100, [1, 2, 3], 1).promoted, true);
  });
});

describe('trust in a screen', () => {
  const pairs = (rows: [number, number][]) => rows.map(([at, next]) => ({ at, next }));

  it('is not trusted while calibrating: fewer than `calibration` candidates (and at least 3) ran both stages', () => {
    assert.deepEqual(screenTrust(pairs([[1, 1], [2, 2]]), 4, 'screen', 'full'), {
      trusted: false, n: 2, r: null, summary: 'calibrating: 2 of 4 candidates have run both screen and full',
    });
    assert.equal(screenTrust(pairs([[1, 1], [2, 2]]), 1, 'screen', 'full').summary, 'calibrating: 2 of 3 candidates have run both screen and full');
    assert.equal(screenTrust([], 0, 'screen', 'full').trusted, true, 'calibration 0 trusts it from the start');
  });

  it('is trusted once the two stages correlate positively beyond chance, one-sided at 95%', () => {
    // n = 4: r must exceed t(0.95, 2)/√(t² + 2) = 2.920/√10.53 = 0.90.
    const strong = screenTrust(pairs([[1, 1.1], [2, 1.9], [3, 3.2], [4, 3.9]]), 4, 'screen', 'full');
    assert.equal(strong.trusted, true);
    assert.match(strong.summary, /^screen's results have predicted full's \(r=0\.99 over the last 4 candidates that ran both\)$/);
    // Its own error per configuration, in its units: the residual about the fitted line over the slope, less both stages' noise.
    const scattered = pairs([[1, 1.1], [2, 1.9], [3, 3.2], [4, 3.9]]);
    const bias = screenTrust(scattered, 4, 'screen', 'full').biasSigma!;
    assert.ok(bias > 0.1 && bias < 0.3, String(bias));
    assert.ok(screenTrust(scattered, 4, 'screen', 'full', { at: 0.05, next: 0.1 }).biasSigma! < bias, 'the noises measured are taken out');
    assert.equal(screenTrust(scattered, 4, 'screen', 'full', { at: 1, next: 1 }).biasSigma, 0, 'never below 0');
    assert.equal(screenTrust(pairs([[1, 2], [2, 4], [3, 6], [4, 8]]), 4, 'screen', 'full').biasSigma, 0, 'a screen that predicts exactly has no error of its own');
    const weak = screenTrust(pairs([[1, 2], [2, 1], [3, 3], [4, 2.5]]), 4, 'screen', 'full');
    assert.ok(weak.r! > 0.5 && weak.r! < 0.9, String(weak.r));
    assert.equal(weak.trusted, false);
    assert.equal(screenTrust(pairs([[1, 4], [2, 3], [3, 2], [4, 1]]), 4, 'screen', 'full').trusted, false, 'a screen that ranks backwards');
    assert.match(screenTrust(pairs([[1, 1], [1, 2], [1, 3]]), 3, 'screen', 'full').summary, /did not vary/);
  });
});

describe('audits of a trusted screen', () => {
  it('promotes anyway the 5th, 10th, … candidate turned away at 0.2, and none at 0', () => {
    const due: number[] = [];
    let audited = 0;
    for (let turnedAway = 0; turnedAway < 20; turnedAway += 1) {
      if (auditDue(0.2, { refused: turnedAway - audited, audited })) {
        due.push(turnedAway + 1);
        audited += 1;
      }
    }
    assert.deepEqual(due, [5, 10, 15, 20]);
    assert.equal(auditDue(0, { refused: 100, audited: 0 }), false);
    assert.equal(auditDue(1, { refused: 0, audited: 3 }), true);
  });
});
