// Guards decided on crafted runs: a failed guard blocks the keep whatever the metric gain, the limits are
// checked on what the runs reported, and the reason names the guard, the run and what the metric alone
// would have done.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import type { GuardResult } from '../../schemas/src/messages.js';
import { StudySpec } from '../../schemas/src/study-spec.js';
import { describeGuardFailure, evaluateGuards } from '../../services/controller/src/decisions/guard-checks.js';
import { decideExperiment } from '../../services/controller/src/scheduler/decide-experiment.js';
import { rankGeneration } from '../../services/controller/src/scheduler/decide-generation.js';
import type { BranchRow, ExperimentRow, RunRow } from '../../services/controller/src/store/schema.js';

function spec(guards: StudySpec['guards'], decision: Partial<StudySpec['decision']> = {}): StudySpec {
  const parsed = Value.Default(StudySpec, {
    name: 'guarded',
    flavor: 'training',
    workspace: { mutable: ['train.js'] },
    objective: { metric: 'loss', direction: 'minimize' },
    run: { command: 'node train.js', budgetSeconds: 10 },
    mutator: { kind: 'params', params: [{ name: 'X', file: 'train.js', choices: [0, 1] }] },
  }) as StudySpec;
  return { ...parsed, guards, decision: { ...parsed.decision, ...decision } };
}

const TESTS = { name: 'tests', command: 'node test.js' };
const passed = (name = 'tests'): GuardResult => ({ name, passed: true, exitCode: 0, signal: null, timedOut: false, durationMs: 120, outputTail: ['ok 3 tests'] });
const failed = (name = 'tests'): GuardResult => ({
  name, passed: false, exitCode: 1, signal: null, timedOut: false, durationMs: 130, reason: 'exit code 1',
  outputTail: ['running 3 tests', 'AssertionError: the model no longer loads', ''],
});

interface CraftedRun { loss: number; guards?: GuardResult[] | null; memoryMb?: number | null; seconds?: number; role?: RunRow['role'] }
const runs = (crafted: CraftedRun[]) =>
  crafted.map((c, i) => ({
    id: `run${i}`, status: 'succeeded', repeatIndex: i, role: c.role ?? 'working', reason: null,
    metrics: { loss: c.loss }, peakMemoryMb: c.memoryMb ?? null, guards: c.guards ?? null,
    startedAt: new Date(1_000_000), finishedAt: new Date(1_000_000 + (c.seconds ?? 10) * 1000),
  }) as unknown as RunRow);
const experiment = (number: number) =>
  ({ id: `e${number}`, number, kind: number === 0 ? 'baseline' : 'candidate', parentRevisionId: 'head', candidateRevisionId: `r${number}`, branchId: 'b0', changeKey: number === 0 ? null : `c${number}`, status: 'pending' }) as ExperimentRow;
const branch = { id: 'b0', index: 0, headRevisionId: 'head', headExperimentId: 'e0', headScore: 1, headValues: [1.0, 1.002, 0.998], adoptionRound: 0 } as BranchRow;
const decide = (s: StudySpec, crafted: CraftedRun[], number = 1) => decideExperiment({ spec: s, experiment: experiment(number), runs: runs(crafted), branch, noise: null });

describe('guards in the decision', () => {
  it('a failed command guard blocks the keep of a large gain: guard-failed, the head does not move', () => {
    const decision = decide(spec([TESTS]), [{ loss: 0.5, guards: [failed()] }, { loss: 0.51, guards: [passed()] }]);
    assert.equal(decision.outcome, 'guard-failed');
    assert.equal(decision.newHeadValues, null);
    assert.equal(decision.extend, undefined);
    assert.equal(decision.confirm, undefined);
    assert.equal(decision.score, 0.505);
    assert.match(decision.reason, /^guard "tests" failed on run 1 \(exit code 1: AssertionError: the model no longer loads\); the metric alone would have kept it: Δ=-0\.49\d* \(better\).*→ keep/);
    assert.deepEqual(decision.stats?.guards, [{ name: 'tests', kind: 'command', passed: false, runs: 2, failure: { run: 1, reason: 'exit code 1: AssertionError: the model no longer loads' } }]);
  });

  it('says when the metric alone would have discarded it too', () => {
    const decision = decide(spec([TESTS]), [{ loss: 1.2, guards: [failed()] }]);
    assert.equal(decision.outcome, 'guard-failed');
    assert.match(decision.reason, /; the metric alone would have discarded it: Δ=\+0\.2/);
  });

  it('keeps a gain whose runs passed every guard, and records the verdicts', () => {
    const decision = decide(spec([TESTS, { name: 'memory', maxPeakMemoryMb: 4096 }]), [{ loss: 0.5, guards: [passed()], memoryMb: 2048 }]);
    assert.equal(decision.outcome, 'keep');
    assert.deepEqual(decision.stats?.guards?.map((g) => [g.name, g.kind, g.passed, g.runs]), [['tests', 'command', true, 1], ['memory', 'maxPeakMemoryMb', true, 1]]);
  });

  it('a command guard with no reported result has not passed', () => {
    const decision = decide(spec([TESTS]), [{ loss: 0.5, guards: null }]);
    assert.equal(decision.outcome, 'guard-failed');
    assert.match(decision.reason, /^guard "tests" failed on run 1 \(no result was reported for it/);
  });

  it('checks peak memory against the script\'s peak_vram_mb first, else the measured peak', () => {
    const memory = spec([{ name: 'memory', maxPeakMemoryMb: 4096 }]);
    const overMeasured = decide(memory, [{ loss: 0.5, memoryMb: 5000 }]);
    assert.equal(overMeasured.outcome, 'guard-failed');
    assert.match(overMeasured.reason, /^guard "memory" failed on run 1 \(peak memory 5000\.0 MB > 4096 MB\)/);
    const [reported] = runs([{ loss: 0.5, memoryMb: 5000 }]);
    reported!.metrics = { loss: 0.5, peak_vram_mb: 3000 };
    assert.equal(decideExperiment({ spec: memory, experiment: experiment(1), runs: [reported!], branch, noise: null }).outcome, 'keep');
    // A run too short to sample passes a limit it cannot be held to, and the verdict says so.
    const unmeasured = decide(memory, [{ loss: 0.5, memoryMb: null }, { loss: 0.5, memoryMb: 100 }]);
    assert.equal(unmeasured.outcome, 'keep');
    assert.deepEqual(unmeasured.stats?.guards, [{ name: 'memory', kind: 'maxPeakMemoryMb', passed: true, runs: 2, unmeasured: 1 }]);
  });

  it('checks each run\'s duration against maxRunSeconds, naming the run', () => {
    const decision = decide(spec([{ name: 'speed', maxRunSeconds: 30 }]), [{ loss: 0.5, seconds: 12 }, { loss: 0.5, seconds: 31.5 }]);
    assert.equal(decision.outcome, 'guard-failed');
    assert.match(decision.reason, /^guard "speed" failed on run 2 \(ran 31\.5 s > 30 s\)/);
  });

  it('names every guard that failed', () => {
    const verdicts = evaluateGuards([TESTS, { name: 'lint', command: 'eslint .' }, { name: 'speed', maxRunSeconds: 5 }], [
      { run: 1, guards: [failed(), failed('lint')], memoryMb: null, seconds: 10 },
    ]);
    assert.equal(describeGuardFailure(verdicts), 'guard "tests" failed on run 1 (exit code 1: AssertionError: the model no longer loads); also failed: "lint", "speed"');
  });

  it('a baseline that fails a guard is not a baseline (the scheduler stops the study), with what it measured', () => {
    const decision = decide(spec([TESTS]), [{ loss: 1, guards: [passed()] }, { loss: 1.01, guards: [failed()] }], 0);
    assert.equal(decision.outcome, 'guard-failed');
    assert.equal(decision.newHeadValues, null);
    assert.equal(decision.noise, null);
    assert.match(decision.reason, /^guard "tests" failed on run 2 \(exit code 1: .*\); measured: baseline loss=1\.005000 over 2 runs/);
  });

  it('a crash is still a crash: guards only judge runs that succeeded', () => {
    const [crashed] = runs([{ loss: 0.5 }]);
    Object.assign(crashed!, { status: 'crashed', reason: 'exit code 3', metrics: {} });
    assert.equal(decideExperiment({ spec: spec([TESTS]), experiment: experiment(1), runs: [crashed!], branch, noise: null }).outcome, 'crash');
  });

  it('a guard failing on a fresh confirmation run makes the candidate guard-failed, not reverted', () => {
    const confirming = spec([TESTS], { confirmRuns: 1 });
    const first = decide(confirming, [{ loss: 0.5, guards: [passed()] }]);
    assert.equal(first.confirm, 1, 'passed its first run, so it asks for a fresh one');
    const decision = decide(confirming, [{ loss: 0.5, guards: [passed()] }, { loss: 0.5, guards: [failed()], role: 'confirm' }]);
    assert.equal(decision.outcome, 'guard-failed');
    assert.match(decision.reason, /failed on run 2/);
  });

  it('a guard-failed candidate is no pass among λ candidates: the best passing one is kept', () => {
    const s = spec([TESTS]);
    const member = (number: number, crafted: CraftedRun[]) => ({ experiment: experiment(number), decision: decideExperiment({ spec: s, experiment: experiment(number), runs: runs(crafted), branch, noise: null }) });
    const ranked = rankGeneration([member(1, [{ loss: 0.4, guards: [failed()] }]), member(2, [{ loss: 0.9, guards: [passed()] }])], 'minimize');
    assert.deepEqual(ranked.map((m) => m.decision.outcome), ['guard-failed', 'keep']);
  });

  it('a study without guards decides as before, with no guard verdicts in its statistics', () => {
    const decision = decide(spec(undefined), [{ loss: 0.5 }]);
    assert.equal(decision.outcome, 'keep');
    assert.equal('guards' in (decision.stats ?? {}), false);
  });
});
