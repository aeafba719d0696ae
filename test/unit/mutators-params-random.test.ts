// The params mutator's strategy random: random search. Each proposal draws every declared param
// afresh; these check what the draws cover, that they repeat under a seed and never repeat from a head.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Param, ParamsMutatorSpec } from '../../schemas/src/study-spec.js';
import { applyEdits } from '../../services/controller/src/mutators/edits/apply-edits.js';
import type { MutationContext, Proposal } from '../../services/controller/src/mutators/mutator.js';
import { checkParamsAgainstFiles, createParamsMutator, ParamError } from '../../services/controller/src/mutators/params/params-mutator.js';
import { findTopLevelConstant } from '../../services/controller/src/mutators/params/top-level-constants.js';

const TRAIN_PY = `import torch

LEARNING_RATE = 0.003  # Adam
DEPTH = 8
DROPOUT = 0.5
USE_AMP = True
OPTIMIZER = "adamw"
WARMUP = 0.1

def schedule(step):
    DEPTH = 8
    return step
`;

const OBJECTIVE = { metric: 'val_bpb', direction: 'minimize' as const };

function param(overrides: Partial<Param> & { name: string }): Param {
  return { file: 'train.py', integer: false, scale: 'log', ...overrides };
}

function random(params: Param[], seed = 0): ParamsMutatorSpec {
  return { kind: 'params', seed, strategy: 'random', params };
}

function context(overrides: Partial<MutationContext> = {}, files: Record<string, string> = { 'train.py': TRAIN_PY }): MutationContext {
  return {
    studyId: 'study-1',
    branchIndex: 0,
    head: { revisionId: 'rev-head', score: 1.0, files },
    triedFromHead: new Set(),
    objective: { metric: 'val_bpb', direction: 'minimize' },
    mutablePaths: Object.keys(files),
    instructions: null,
    evidence: [],
    history: [],
    ...overrides,
  };
}

/** Up to `limit` proposals from one head, as the scheduler draws them: each marks its key as tried. */
async function proposals(spec: ParamsMutatorSpec, limit: number, overrides: Partial<MutationContext> = {}, files = { 'train.py': TRAIN_PY }): Promise<Proposal[]> {
  const mutator = createParamsMutator(spec, OBJECTIVE);
  const tried = new Set<string>();
  const made: Proposal[] = [];
  while (made.length < limit) {
    const proposal = await mutator.propose(context({ ...overrides, triedFromHead: tried }, files));
    if (proposal === null) break;
    assert.ok(!tried.has(proposal.changeKey), `proposed ${proposal.changeKey} twice`);
    tried.add(proposal.changeKey);
    made.push(proposal);
  }
  return made;
}

/** The value of each named constant once the proposal's edits are applied to the head. */
function valuesAfter(proposal: Proposal, names: string[], files = { 'train.py': TRAIN_PY }): Record<string, number | boolean | string> {
  const after = applyEdits(files, proposal.edits, Object.keys(files));
  return Object.fromEntries(names.map((name) => [name, findTopLevelConstant(after['train.py']!, name, 'train.py').value.value]));
}

/** `count` draws of one param. A continuous companion param keeps the head's own value drawable. */
async function drawsOf(p: Param, count: number): Promise<number[]> {
  const companion = param({ name: p.name === 'DROPOUT' ? 'WARMUP' : 'DROPOUT', scale: 'linear', min: 0, max: 1 });
  return (await proposals(random([p, companion], 11), count)).map((proposal) => valuesAfter(proposal, [p.name])[p.name] as number);
}

/** Share of `values` in each of `bins` equal bins of [low, high). */
function histogram(values: number[], low: number, high: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const value of values) counts[Math.min(bins - 1, Math.floor(((value - low) / (high - low)) * bins))]! += 1;
  return counts.map((count) => count / values.length);
}

describe('params strategy random: what the draws cover', () => {
  it('draws a linear param uniformly over [min, max]', async () => {
    const values = await drawsOf(param({ name: 'DROPOUT', scale: 'linear', min: 0, max: 1 }), 2000);
    assert.ok(values.every((v) => v >= 0 && v <= 1));
    for (const share of histogram(values, 0, 1, 10)) assert.ok(share > 0.07 && share < 0.13, `bin shares ${histogram(values, 0, 1, 10).join(', ')}`);
  });

  it('draws a log-scale param uniformly in log space: each decade as often, not the top one 90% of the time', async () => {
    const values = await drawsOf(param({ name: 'LEARNING_RATE', min: 1e-5, max: 1e-1 }), 2000);
    assert.ok(values.every((v) => v >= 1e-5 && v <= 1e-1));
    const decades = histogram(values.map(Math.log10), -5, -1, 4);
    for (const share of decades) assert.ok(share > 0.2 && share < 0.3, `decade shares ${decades.join(', ')}`);
    assert.ok(values.filter((v) => v < 1e-3).length / values.length > 0.4, 'half the draws lie below 1e-3, where a linear draw puts 1%');
  });

  it('rounds integer params, reaching both bounds, and draws a log-scale integer by its share of log space', async () => {
    const linear = await drawsOf(param({ name: 'DEPTH', integer: true, scale: 'linear', min: 3, max: 8 }), 1200);
    assert.ok(linear.every(Number.isInteger));
    for (let depth = 3; depth <= 8; depth++) {
      const share = linear.filter((v) => v === depth).length / linear.length;
      assert.ok(share > 0.12 && share < 0.22, `DEPTH=${depth}: ${share}`);
    }
    const log = await drawsOf(param({ name: 'DEPTH', integer: true, min: 1, max: 64 }), 1500);
    assert.ok(log.every((v) => Number.isInteger(v) && v >= 1 && v <= 64));
    assert.ok(log.includes(1) && log.includes(64), 'both bounds are reachable');
    // [0.5, 64.5] in log space: 1..8 own log(8.5/0.5)/log(64.5/0.5) = 58% of it; on a linear scale it would be 12%.
    const small = log.filter((v) => v <= 8).length / log.length;
    assert.ok(small > 0.52 && small < 0.64, `share of 1..8: ${small}`);
  });

  it('honours a linear step as a grid from min, and ignores a log step', async () => {
    const grid = await drawsOf(param({ name: 'WARMUP', scale: 'linear', min: 0, max: 0.5, step: 0.1 }), 200);
    assert.deepEqual([...new Set(grid)].sort(), [0, 0.1, 0.2, 0.3, 0.4, 0.5], 'every grid point, and nothing between');
    const log = await drawsOf(param({ name: 'LEARNING_RATE', min: 1e-4, max: 1e-2, step: 10 }), 200);
    assert.ok(new Set(log).size > 150, 'a continuous draw, not the grid 1e-4, 1e-3, 1e-2');
  });

  it('draws choices and booleans uniformly', async () => {
    const choices = ['sgd', 'adamw', 'lion', 'adafactor'];
    const drawn = (await proposals(random([param({ name: 'OPTIMIZER', choices }), param({ name: 'USE_AMP' })]), 7)).map((p) => valuesAfter(p, ['OPTIMIZER', 'USE_AMP']));
    // 4 × 2 configurations, less the head's own: 7 proposals cover all of them.
    assert.equal(new Set(drawn.map((d) => `${d['OPTIMIZER']}/${d['USE_AMP']}`)).size, 7);
    assert.ok(!drawn.some((d) => d['OPTIMIZER'] === 'adamw' && d['USE_AMP'] === true), 'never the head itself');
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 800; seed++) {
      const [first] = await proposals(random([param({ name: 'OPTIMIZER', choices })], seed), 1);
      const value = String(valuesAfter(first!, ['OPTIMIZER'])['OPTIMIZER']);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    // The head's adamw is never proposed alone; the other three share the draws.
    assert.deepEqual([...counts.keys()].sort(), ['adafactor', 'lion', 'sgd']);
    for (const [value, count] of counts) assert.ok(count > 800 / 3 - 70 && count < 800 / 3 + 70, `${value}: ${count}`);
  });
});

describe('params strategy random: proposals', () => {
  const params = [
    param({ name: 'LEARNING_RATE', min: 1e-5, max: 1e-1 }),
    param({ name: 'DEPTH', integer: true, min: 2, max: 64 }),
    param({ name: 'DROPOUT', scale: 'linear', min: 0, max: 0.9 }),
    param({ name: 'WARMUP', scale: 'linear', min: 0, max: 1 }),
  ];
  const names = params.map((p) => p.name);

  it('changes every param together, each within its range, in one proposal', async () => {
    const made = await proposals(random(params, 5), 50);
    assert.equal(made.length, 50);
    let allChanged = 0;
    for (const proposal of made) {
      const values = valuesAfter(proposal, names);
      assert.ok((values['LEARNING_RATE'] as number) >= 1e-5 && (values['LEARNING_RATE'] as number) <= 1e-1);
      assert.ok(Number.isInteger(values['DEPTH']) && (values['DEPTH'] as number) >= 2 && (values['DEPTH'] as number) <= 64);
      assert.ok((values['DROPOUT'] as number) >= 0 && (values['DROPOUT'] as number) <= 0.9);
      if (values['LEARNING_RATE'] !== 0.003 && values['DEPTH'] !== 8 && values['DROPOUT'] !== 0.5 && values['WARMUP'] !== 0.1) allChanged += 1;
      assert.equal(proposal.edits.length, proposal.variable.split(', ').length, 'one edit per changed param');
    }
    assert.ok(allChanged >= 45, `all four params changed in only ${allChanged} of 50`);
  });

  it('makes edits that apply cleanly even when a line recurs indented, and leave the rest of the file alone', async () => {
    for (const proposal of await proposals(random(params, 2), 20)) {
      const after = applyEdits({ 'train.py': TRAIN_PY }, proposal.edits, ['train.py'])['train.py']!;
      assert.match(after, /\n {4}DEPTH = 8\n/, 'the indented DEPTH is untouched');
      const changed = after.split('\n').filter((line, i) => line !== TRAIN_PY.split('\n')[i]);
      assert.equal(changed.length, proposal.edits.length);
    }
    // Adjacent constants that both recur: each search grows over the line the edit before it rewrote.
    const twice = 'A = 1.0\nB = 2.0\ndef f():\n    A = 1.0\n    B = 2.0\n';
    const files = { 'train.py': twice };
    for (const proposal of await proposals(random([param({ name: 'A', min: 0.5, max: 4 }), param({ name: 'B', min: 0.5, max: 4 })]), 20, {}, files)) {
      const after = applyEdits(files, proposal.edits, ['train.py'])['train.py']!;
      assert.match(after, /\n {4}A = 1\.0\n {4}B = 2\.0\n$/);
      assert.match(after, /^A = \d+(\.\d+)?\nB = \d+(\.\d+)?\n/, 'Python floats stay floats');
    }
  });

  it('says what it drew in the hypothesis, variable, description and a key that hashes the configuration', async () => {
    const [proposal] = await proposals(random([param({ name: 'OPTIMIZER', choices: ['sgd', 'adamw'] }), param({ name: 'USE_AMP' })], 1), 1);
    const drawn = valuesAfter(proposal!, ['OPTIMIZER', 'USE_AMP']);
    const shown = (name: string) => (name === 'OPTIMIZER' ? JSON.stringify(drawn[name]) : drawn[name] ? 'True' : 'False');
    assert.equal(proposal!.hypothesis, `A configuration drawn at random (OPTIMIZER=${shown('OPTIMIZER')}, USE_AMP=${shown('USE_AMP')}) may lower val_bpb`);
    assert.match(proposal!.changeKey, /^random:[0-9a-f]{32}$/);
    assert.match(proposal!.description, /^random draw: (OPTIMIZER "adamw" -> "sgd"|USE_AMP True -> False|OPTIMIZER "adamw" -> "sgd", USE_AMP True -> False)$/);
  });

  it('never repeats a configuration from a head, and returns null only once every one was tried', async () => {
    // 3 × 3 × 2 configurations, the head's own among them: exactly 17 to propose, then nothing.
    const small = random([
      param({ name: 'DEPTH', choices: [4, 8, 16] }),
      param({ name: 'OPTIMIZER', choices: ['sgd', 'adamw', 'lion'] }),
      param({ name: 'USE_AMP' }),
    ], 3);
    const made = await proposals(small, 100);
    assert.equal(made.length, 17);
    const configurations = made.map((p) => JSON.stringify(valuesAfter(p, ['DEPTH', 'OPTIMIZER', 'USE_AMP'])));
    assert.equal(new Set(configurations).size, 17);
    const continuous = await proposals(random(params, 9), 300);
    assert.equal(new Set(continuous.map((p) => p.changeKey)).size, 300);
  });

  it('refuses a configuration tried from the head however it got there (the key hashes the values, not the path)', async () => {
    const spec = random([param({ name: 'DEPTH', choices: [4, 8, 16] }), param({ name: 'USE_AMP' })], 4);
    const mutator = createParamsMutator(spec, OBJECTIVE);
    const first = await mutator.propose(context());
    // Another proposal of the same configuration, made with a different tried count, carries the same key.
    const tried = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const next = await mutator.propose(context({ triedFromHead: tried }));
      if (next === null) break;
      if (JSON.stringify(valuesAfter(next, ['DEPTH', 'USE_AMP'])) === JSON.stringify(valuesAfter(first!, ['DEPTH', 'USE_AMP']))) assert.equal(next.changeKey, first!.changeKey);
      tried.add(next.changeKey);
    }
    assert.ok(tried.has(first!.changeKey), 'the first configuration came up again in the walk');
  });
});

describe('params strategy random: determinism', () => {
  const params = [param({ name: 'LEARNING_RATE', min: 1e-5, max: 1e-1 }), param({ name: 'DEPTH', integer: true, min: 2, max: 64 })];

  it('draws the same sequence for the same seed and head, and another for another seed, head or branch', async () => {
    const keys = async (seed: number, overrides: Partial<MutationContext> = {}) => (await proposals(random(params, seed), 10, overrides)).map((p) => p.changeKey);
    const base = await keys(7);
    assert.deepEqual(await keys(7), base);
    const others = [await keys(8), await keys(7, { head: { revisionId: 'rev-other', score: 1, files: { 'train.py': TRAIN_PY } } }), await keys(7, { branchIndex: 1 })];
    for (const other of others) assert.equal(other.filter((key) => base.includes(key)).length, 0);
  });
});

describe('params strategy random: spec check', () => {
  const files = { 'train.py': TRAIN_PY };

  it('needs min and max (or choices) on every numeric param, naming the field', () => {
    assert.deepEqual(
      checkParamsAgainstFiles(random([
        param({ name: 'LEARNING_RATE', min: 1e-5, max: 0.1 }),
        param({ name: 'DEPTH', integer: true, min: 1 }),
        param({ name: 'DROPOUT', scale: 'linear' }),
        param({ name: 'WARMUP', scale: 'linear', max: 1 }),
        param({ name: 'OPTIMIZER', choices: ['sgd', 'adamw'] }),
        param({ name: 'USE_AMP' }),
      ]), files),
      [
        'mutator.params[1].max (DEPTH): strategy random needs min and max, or choices, to draw DEPTH from (it has no max)',
        'mutator.params[2] (DROPOUT): strategy random needs min and max, or choices, to draw DROPOUT from (it has no min and no max)',
        'mutator.params[3].min (WARMUP): strategy random needs min and max, or choices, to draw WARMUP from (it has no min)',
      ],
    );
  });

  it('needs a positive min on a log scale, and no step on a linear one', () => {
    assert.deepEqual(checkParamsAgainstFiles(random([param({ name: 'LEARNING_RATE', min: 0, max: 0.1 })]), files), [
      'mutator.params[0].min (LEARNING_RATE): a log scale draws between min and max, so min must be positive (it is 0); use scale "linear"',
    ]);
    assert.deepEqual(checkParamsAgainstFiles(random([param({ name: 'WARMUP', scale: 'linear', min: 0, max: 1 })]), files), []);
    assert.deepEqual(checkParamsAgainstFiles({ ...random([param({ name: 'WARMUP', scale: 'linear', min: 0, max: 1 })]), strategy: 'local' }, files), [
      'mutator.params[0].step (WARMUP): a linear-scale param needs a step (the increment)',
    ]);
  });

  it('throws a ParamError when asked to draw a param without a range', async () => {
    const mutator = createParamsMutator(random([param({ name: 'LEARNING_RATE', max: 0.1 })]), OBJECTIVE);
    await assert.rejects(mutator.propose(context()), (error: unknown) => {
      assert.ok(error instanceof ParamError);
      assert.match(error.message, /^mutator\.params\[0\] \(LEARNING_RATE\): strategy random needs min and max, or choices/);
      return true;
    });
  });
});
