// Screen, then promote, decided on crafted rows: the baseline measures every stage, a candidate is promoted
// or screened out at the screen on the screen's runs only, and keep or discard is decided on the last
// stage's runs only, as in a study without stages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { StudySpec } from '../../schemas/src/study-spec.js';
import { decideStagedExperiment } from '../../services/controller/src/scheduler/decide-stage.js';
import { startingStage } from '../../services/controller/src/scheduler/screen-skip.js';
import type { BranchRow, ExperimentRow, RunRow } from '../../services/controller/src/store/schema.js';

/** calibration 0 (the screen trusted from the start) unless told otherwise: these cases are about the rules. */
function spec(screenPromote: Record<string, unknown> = { calibration: 0 }): StudySpec {
  return Value.Default(StudySpec, {
    name: 'staged',
    flavor: 'training',
    workspace: { mutable: ['train.js'] },
    objective: { metric: 'loss', direction: 'minimize' },
    run: { command: 'node train.js', budgetSeconds: 10 },
    mutator: { kind: 'params', params: [{ name: 'X', file: 'train.js', choices: [0, 1] }] },
    stages: [
      { name: 'screen', budgetSeconds: 1, repeats: 1, promote: screenPromote },
      { name: 'full', budgetSeconds: 5, repeats: 2 },
    ],
  }) as StudySpec;
}

const experiment = (number: number, stageReached: number, kind: ExperimentRow['kind'] = number === 0 ? 'baseline' : 'candidate') =>
  ({ id: `e${number}`, number, kind, parentRevisionId: 'head', candidateRevisionId: `r${number}`, branchId: 'b0', changeKey: number === 0 ? null : `c${number}`, status: 'pending', stageReached, stageVerdicts: [] }) as unknown as ExperimentRow;

/** Runs as [stage, value] pairs, or [stage, status] for a failed one. */
const runs = (...specs: [number, number | string][]) =>
  specs.map(([stage, value], i) => ({
    id: `run${i}`, repeatIndex: i, role: 'working', stage, peakMemoryMb: null,
    ...(typeof value === 'number' ? { status: 'succeeded', metrics: { loss: value }, reason: null } : { status: value, metrics: null, reason: 'boom' }),
  }) as unknown as RunRow);

const branch = (stageValues: Record<string, number[]> = { 0: [2.0, 2.01, 1.99], 1: [1.0, 1.002, 0.998] }) =>
  ({ id: 'b0', index: 0, headRevisionId: 'head', headExperimentId: 'e0', headScore: 1, headValues: stageValues['1']!, headStageValues: stageValues, adoptionRound: 0 }) as unknown as BranchRow;

describe('a study with stages', () => {
  it("measures the baseline at every stage: the last stage's values are the head's score, every stage's its stage values", () => {
    const decision = decideStagedExperiment({
      spec: spec(), experiment: experiment(0, 1), branch: branch({}), noise: null,
      runs: runs([0, 2.0], [0, 2.02], [0, 1.98], [1, 1.0], [1, 1.002], [1, 0.998]),
    });
    assert.equal(decision.outcome, 'baseline');
    assert.equal(decision.score, 1);
    assert.deepEqual(decision.newHeadValues, [1.0, 1.002, 0.998]);
    assert.deepEqual(decision.newHeadStageValues, { 0: [2.0, 2.02, 1.98], 1: [1.0, 1.002, 0.998] });
    assert.deepEqual(decision.stats?.stages?.map((m) => [m.stage, m.name, m.n, Number(m.mean.toFixed(6)), Number(m.sigma!.toFixed(6))]), [[0, 'screen', 3, 2, 0.02], [1, 'full', 3, 1, 0.002]]);
    assert.match(decision.reason, /^baseline loss=1\.000000 over 3 runs; run-to-run σ=0\.00200; at the earlier stages: screen 2\.000000 \(σ=0\.0200\)$/);
  });

  it('fails the baseline when a run at an earlier stage failed', () => {
    const decision = decideStagedExperiment({ spec: spec(), experiment: experiment(0, 1), branch: branch({}), noise: null, runs: runs([0, 'crashed'], [1, 1.0]) });
    assert.equal(decision.outcome, 'crash');
    assert.match(decision.reason, /^screen: 1 of 1 run failed; run 1: crashed \(boom\)$/);
  });

  it("promotes a candidate whose screen is within the noise of the head's screen, on the screen's runs only", () => {
    const decision = decideStagedExperiment({ spec: spec(), experiment: experiment(3, 0), branch: branch(), noise: null, runs: runs([0, 2.01]) });
    assert.equal(decision.promote?.toStage, 1, decision.reason);
    assert.equal(decision.promote?.verdict.promoted, true);
    assert.match(decision.promote!.verdict.summary, /^screen: 2\.0100 is worse than the head's 2\.0000, but within the noise \(0\.0115\): promoted to full$/);
    assert.equal(decision.stageVerdict, undefined);
  });

  it('screens out a candidate worse than the head by more than the noise: not run at the last stage, no score', () => {
    const decision = decideStagedExperiment({ spec: spec(), experiment: experiment(3, 0), branch: branch(), noise: null, runs: runs([0, 2.2]) });
    assert.equal(decision.outcome, 'screened-out');
    assert.equal(decision.promote, undefined);
    assert.equal(decision.score, null);
    assert.equal(decision.reason, "screen: 2.2000 is worse than the head's 2.0000 by more than the noise (0.0115): not promoted");
    assert.equal(decision.stageVerdict?.promoted, false);
  });

  it('ranks the screen among the earlier ones with top-fraction', () => {
    const topThird = spec({ rule: 'top-fraction', fraction: 1 / 3, calibration: 0 });
    const decide = (value: number) => decideStagedExperiment(
      { spec: topThird, experiment: experiment(5, 0), branch: branch(), noise: null, runs: runs([0, value]) },
      { noise: null, earlier: [2.1, 2.3], pairs: [], turnedAway: { refused: 0, audited: 0 }, measured: { at: null, next: null } },
    );
    assert.equal(decide(2.0).promote?.verdict.rank, 1);
    assert.equal(decide(2.2).outcome, 'screened-out');
  });

  it('promotes every candidate, unjudged, while the screen is calibrating or has not predicted the full stage', () => {
    const calibrating = spec({});
    const bad = (pairs: { at: number; next: number }[]) => decideStagedExperiment(
      { spec: calibrating, experiment: experiment(3, 0), branch: branch(), noise: null, runs: runs([0, 2.5]) },
      { noise: null, earlier: [], pairs, turnedAway: { refused: 0, audited: 0 }, measured: { at: null, next: null } },
    );
    const first = bad([{ at: 2, next: 1 }]);
    assert.equal(first.promote?.toStage, 1);
    assert.equal(first.promote?.verdict.summary, 'screen: 2.5000, not judged (calibrating: 1 of 8 candidates have run both screen and full): promoted to full');
    const noisy = bad([[2, 1], [2.1, 1.05], [2.2, 0.95], [1.9, 1.02], [2.05, 0.99], [1.95, 1.01], [2.15, 0.97], [2.0, 1.03]].map(([at, next]) => ({ at: at!, next: next! })));
    assert.equal(noisy.promote?.verdict.untrusted?.trusted, false);
    assert.match(noisy.promote!.verdict.summary, /not judged \(screen's results have not predicted full's beyond chance \(r=-?0\.\d\d over the last 8 candidates that ran both\)\)/);
    const predictive = bad([[2, 1], [2.1, 1.1], [2.2, 1.19], [1.9, 0.91], [2.3, 1.32], [2.4, 1.4], [1.8, 0.8], [2.05, 1.06]].map(([at, next]) => ({ at: at!, next: next! })));
    assert.equal(predictive.outcome, 'screened-out', 'a screen that has predicted is trusted, and judges by its rule');
  });

  it('audits 1 in 5 of the candidates a trusted screen turns away: the 5th, the 10th, … run the full stage anyway', () => {
    const decide = (refused: number, audited: number) => decideStagedExperiment(
      { spec: spec({}), experiment: experiment(30, 0), branch: branch(), noise: null, runs: runs([0, 2.2]) },
      { noise: null, earlier: [], pairs: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ at: i, next: i })), turnedAway: { refused, audited }, measured: { at: null, next: null } },
    );
    assert.equal(decide(0, 0).outcome, 'screened-out');
    assert.equal(decide(3, 0).outcome, 'screened-out');
    const fifth = decide(4, 0);
    assert.equal(fifth.promote?.verdict.audited, true);
    assert.match(fifth.promote!.verdict.summary, /by more than the noise \(0\.0115\): not promoted, but audited: promoted to full anyway \(20% of those turned away are, to keep checking that screen predicts full\)$/);
    assert.equal(decide(5, 1).outcome, 'screened-out');
    assert.equal(decide(8, 1).promote?.verdict.audited, true);
  });

  it('records a crash at the screen as a crash there', () => {
    const decision = decideStagedExperiment({ spec: spec(), experiment: experiment(3, 0), branch: branch(), noise: null, runs: runs([0, 'timeout']) });
    assert.equal(decision.outcome, 'timeout');
    assert.match(decision.reason, /^screen: 1 of 1 run failed/);
  });

  it("decides keep or discard on the last stage's runs only, and a keep becomes the head at every stage", () => {
    const kept = decideStagedExperiment({ spec: spec(), experiment: experiment(3, 1), branch: branch(), noise: null, runs: runs([0, 2.01], [1, 0.95], [1, 0.951]) });
    assert.equal(kept.outcome, 'keep');
    assert.equal(kept.stats?.nCandidate, 2, 'the screen run is not one of the runs compared');
    assert.equal(Number(kept.score!.toFixed(4)), 0.9505);
    assert.deepEqual(kept.newHeadStageValues, { 0: [2.01], 1: [0.95, 0.951] });
    const discarded = decideStagedExperiment({ spec: spec(), experiment: experiment(4, 1), branch: branch(), noise: null, runs: runs([0, 1.5], [1, 1.01], [1, 1.011]) });
    assert.equal(discarded.outcome, 'discard');
    assert.equal(discarded.newHeadStageValues, undefined);
  });
});

describe('a screen that does not predict is skipped (startingStage)', () => {
  const calibrated = spec({ calibration: 8, audit: 0.25 });
  /** Ten candidates whose screen said nothing about their full result, and ten where it did. */
  const unrelated = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => ({ at: 2 + (i % 2) * 0.1, next: 1 + (i % 3) * 0.01 }));
  const related = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => ({ at: 2 + i * 0.01, next: 1 + i * 0.01 }));
  const skipped = (number: number) => ({ ...experiment(number, 1), stageVerdicts: [{ stage: 0, skipped: true }] }) as unknown as ExperimentRow;

  it('starts a candidate past a calibrated screen whose results have not predicted the next stage, saying why', () => {
    const start = startingStage(calibrated, unrelated, [experiment(1, 1)]);
    assert.equal(start.stage, 1);
    assert.equal(start.skipped?.skipped, true);
    assert.equal(start.skipped?.n, 0);
    assert.match(start.skipped!.summary, /^screen skipped: screen's results have not predicted full's beyond chance \(r=-?[\d.]+ over the last 10 candidates that ran both\), so it would promote this candidate unjudged; 1 candidate in 4 is still screened/);
  });
  it('still screens one candidate in 1/audit, so the screen can win its trust back', () => {
    assert.equal(startingStage(calibrated, unrelated, [skipped(3), skipped(2), skipped(1)]).stage, 0, 'the 4th after 3 skipped');
    assert.equal(startingStage(calibrated, unrelated, [skipped(3), experiment(2, 1), skipped(1)]).stage, 1);
    assert.equal(startingStage(spec({ calibration: 8, audit: 0 }), unrelated, [skipped(3), skipped(2), skipped(1)]).stage, 1, 'audit 0: never');
  });
  it('screens every candidate while calibrating, once trusted, with calibration 0, and in a study without stages', () => {
    assert.equal(startingStage(calibrated, unrelated.slice(0, 7), []).stage, 0);
    assert.equal(startingStage(calibrated, related, []).stage, 0);
    assert.equal(startingStage(spec({ calibration: 0 }), unrelated, []).stage, 0);
    const plain = { ...calibrated, stages: undefined } as StudySpec;
    assert.equal(startingStage(plain, unrelated, []).stage, 0);
  });
});
