// Confirmation, λ candidates per head, retries of inconclusive changes and adoption rounds, decided on crafted rows: what the scheduler
// records for each case, without a database.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StudySpec } from '../../schemas/src/study-spec.js';
import { adoptionRoundOf, bestBranch } from '../../services/controller/src/scheduler/branch-adoption.js';
import { decideExperiment } from '../../services/controller/src/scheduler/decide-experiment.js';
import { rankGeneration } from '../../services/controller/src/scheduler/decide-generation.js';
import { changesTriedFromHead } from '../../services/controller/src/scheduler/create-experiment.js';
import type { BranchRow, ExperimentRow, RunRow } from '../../services/controller/src/store/schema.js';
import { Value } from '@sinclair/typebox/value';

function spec(overrides: { decision?: Partial<StudySpec['decision']>; search?: Partial<StudySpec['search']> } = {}): StudySpec {
  const parsed = Value.Default(StudySpec, {
    name: 'crafted',
    flavor: 'training',
    workspace: { mutable: ['train.js'] },
    objective: { metric: 'loss', direction: 'minimize' },
    run: { command: 'node train.js', budgetSeconds: 10 },
    mutator: { kind: 'params', params: [{ name: 'X', file: 'train.js', choices: [0, 1] }] },
  }) as StudySpec;
  return { ...parsed, decision: { ...parsed.decision, ...overrides.decision }, search: { ...parsed.search, ...overrides.search } };
}

const experiment = (number: number, parent = 'head') =>
  ({ id: `e${number}`, number, kind: 'candidate', parentRevisionId: parent, candidateRevisionId: `r${number}`, branchId: 'b0', changeKey: `c${number}`, status: 'pending' }) as ExperimentRow;
const runs = (first: number[], fresh: number[] = []) =>
  [...first.map((v, i) => ({ v, i, role: 'working' })), ...fresh.map((v, i) => ({ v, i: first.length + i, role: 'confirm' }))].map(
    ({ v, i, role }) => ({ id: `run${i}`, status: 'succeeded', repeatIndex: i, role, metrics: { loss: v }, peakMemoryMb: null, reason: null }) as unknown as RunRow,
  );
const branch = (headValues = [1.0, 1.002, 0.998]) =>
  ({ id: 'b0', index: 0, headRevisionId: 'head', headExperimentId: 'e0', headScore: headValues.reduce((a, b) => a + b) / headValues.length, headValues, adoptionRound: 0 }) as BranchRow;

describe('confirmation (decision.confirmRuns)', () => {
  const confirming = spec({ decision: { confirmRuns: 2 } });

  it('asks for fresh runs when a candidate passes, and decides nothing yet', () => {
    const decision = decideExperiment({ spec: confirming, experiment: experiment(1), runs: runs([0.98, 0.982]), branch: branch(), noise: null });
    assert.equal(decision.outcome, 'keep');
    assert.equal(decision.confirm, 2);
  });
  it('keeps a real gain that the fresh runs hold, with all runs as the new head', () => {
    const decision = decideExperiment({ spec: confirming, experiment: experiment(1), runs: runs([0.98, 0.982], [0.979, 0.981]), branch: branch(), noise: null });
    assert.equal(decision.outcome, 'keep');
    assert.equal(decision.confirm, undefined);
    assert.deepEqual(decision.newHeadValues, [0.98, 0.982, 0.979, 0.981]);
    assert.match(decision.reason, /^confirmed by 2 fresh runs \(their mean 0\.980000\): Δ=-0\.0\d+ \(better\), σ=[\d.]+, n=4\/3/);
    assert.deepEqual(decision.stats?.confirmation && { ...decision.stats.confirmation, firstSummary: '' }, { firstSummary: '', firstMean: 0.981, freshRuns: 2, freshMean: 0.98 });
  });
  it('reverts a lucky candidate whose fresh runs do not hold the gain, and the head does not move', () => {
    const decision = decideExperiment({ spec: confirming, experiment: experiment(1), runs: runs([0.99, 0.99], [1.008, 1.008]), branch: branch(), noise: null });
    assert.equal(decision.outcome, 'reverted');
    assert.equal(decision.newHeadValues, null);
    assert.match(decision.reason, /^the gain did not hold over 2 fresh runs \(their mean 1\.00800\), so the branch stays on its head: Δ=-0\.00\d+ \(better\).*→ discard.*; its first runs alone had passed: Δ=-0\.0100 \(better\).*→ keep/);
  });
  it('without confirmRuns a passing candidate is kept at once, and a failing one is never confirmed', () => {
    assert.equal(decideExperiment({ spec: spec(), experiment: experiment(1), runs: runs([0.98, 0.982]), branch: branch(), noise: null }).confirm, undefined);
    const worse = decideExperiment({ spec: confirming, experiment: experiment(1), runs: runs([1.02, 1.021]), branch: branch(), noise: null });
    assert.equal(worse.outcome, 'discard');
    assert.equal(worse.confirm, undefined);
  });
});

describe('λ candidates per head', () => {
  const decided = (number: number, values: number[], fresh: number[] = [], s = spec()) => ({
    experiment: experiment(number),
    decision: decideExperiment({ spec: s, experiment: experiment(number), runs: runs(values, fresh), branch: branch(), noise: null }),
  });

  it('keeps only the best of the candidates that passed; the others name it', () => {
    const ranked = rankGeneration([decided(3, [0.97, 0.971]), decided(1, [0.98, 0.981]), decided(2, [1.01, 1.012])], 'minimize');
    assert.deepEqual(ranked.map((m) => [m.experiment.number, m.decision.outcome]), [[1, 'discard'], [2, 'discard'], [3, 'keep']]);
    assert.match(ranked[0]!.decision.reason, /^passed the rule, but #3 from the same head did better \(0\.980500 against 0\.970500\): Δ=/);
    assert.equal(ranked[0]!.decision.newHeadValues, null);
    assert.match(ranked[1]!.decision.reason, /worse than the head/);
  });
  it('ranks by the first runs, so a winner waiting for its confirmation stays the winner', () => {
    const s = spec({ decision: { confirmRuns: 2 } });
    const ranked = rankGeneration([decided(1, [0.97, 0.971], [0.99, 0.991], s), decided(2, [0.975, 0.976], [], s)], 'minimize');
    assert.equal(ranked[0]!.decision.outcome, 'keep', 'the winner, confirmed');
    assert.equal(ranked[1]!.decision.outcome, 'discard');
    assert.equal(ranked[1]!.decision.confirm, undefined, 'only the winner is confirmed');
  });
  it('leaves a generation with at most one pass as it is', () => {
    const ranked = rankGeneration([decided(1, [0.98, 0.981]), decided(2, [1.01, 1.012])], 'minimize');
    assert.deepEqual(ranked.map((m) => m.decision.outcome), ['keep', 'discard']);
  });
});

describe('adoption rounds', () => {
  const done = (number: number, outcome: ExperimentRow['outcome'], kind: ExperimentRow['kind'] = 'candidate') =>
    ({ number, outcome, kind, status: 'decided' }) as ExperimentRow;
  it('starts a round every adoptEvery decided candidates; invalid proposals, the baseline and adoptions do not count', () => {
    const s = spec({ search: { branches: 2, adoptEvery: 2 } });
    const history = [done(0, 'baseline', 'baseline'), done(1, 'keep'), done(2, 'invalid'), done(3, 'discard'), done(4, 'adopted', 'adopt'), done(5, 'crash')];
    assert.equal(adoptionRoundOf(s, history.slice(0, 3)), 0);
    assert.equal(adoptionRoundOf(s, history.slice(0, 4)), 1);
    assert.equal(adoptionRoundOf(s, history), 1);
    assert.equal(adoptionRoundOf(spec(), history), 0, 'off without adoptEvery');
  });
  it('finds the best head in the objective direction', () => {
    const b = (index: number, headScore: number | null) => ({ ...branch(), id: `b${index}`, index, headScore }) as BranchRow;
    assert.equal(bestBranch([b(0, 1.0), b(1, 0.9), b(2, 0.95), b(3, null)], spec())?.index, 1);
  });
});

describe('changes tried from a head, and those that may be retried', () => {
  const adaptive = spec({ decision: { maxRepeats: 8 } });
  const tryOf = (number: number, key: string, values: number[] | null, extra: Partial<ExperimentRow> = {}) => {
    const decided = values && decideExperiment({ spec: adaptive, experiment: experiment(number), runs: runs(values), branch: branch(), noise: null });
    return { ...experiment(number), changeKey: key, status: decided ? 'decided' : 'pending', outcome: decided?.outcome ?? null, stats: decided?.stats ?? null, ...extra } as ExperimentRow;
  };

  it('holds back a change discarded within the noise for a retry, with its runs so far', () => {
    const history = [tryOf(1, 'within', [1.004]), tryOf(2, 'worse', [1.2]), tryOf(3, 'kept', [0.9]), tryOf(4, 'pending', null)];
    const { tried, retryable } = changesTriedFromHead(adaptive, history, 'head');
    assert.deepEqual([...tried].sort(), ['kept', 'pending', 'worse']);
    assert.deepEqual([...retryable.keys()], ['within']);
    assert.equal(retryable.get('within')!.runs, 1);
    assert.ok(retryable.get('within')!.pValue > 0.5, 'it looked worse: a high p-value, a late retry');
  });
  it('judges a change by its latest try, and not while a try of it is in flight', () => {
    const twice = [tryOf(1, 'c', [1.004]), tryOf(5, 'c', [1.003, 1.002])];
    assert.equal(changesTriedFromHead(adaptive, twice, 'head').retryable.get('c')?.runs, 2);
    const inFlight = [tryOf(1, 'c', [1.004]), tryOf(5, 'c', null)];
    assert.deepEqual([...changesTriedFromHead(adaptive, inFlight, 'head').tried], ['c']);
  });
  it('counts only changes from this head, and retries nothing without maxRepeats', () => {
    const history = [tryOf(1, 'within', [1.004]), tryOf(2, 'other head', [1.004], { parentRevisionId: 'old' })];
    assert.deepEqual([...changesTriedFromHead(adaptive, history, 'head').tried], []);
    const plain = changesTriedFromHead(spec(), history, 'head');
    assert.deepEqual([[...plain.tried], [...plain.retryable]], [['within'], []]);
  });
});
