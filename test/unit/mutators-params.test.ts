import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Param, ParamsMutatorSpec } from '../../schemas/src/study-spec.js';
import { applyEdits } from '../../services/controller/src/mutators/edits/apply-edits.js';
import type { MutationContext, Proposal } from '../../services/controller/src/mutators/mutator.js';
import {
  checkParamsAgainstFiles,
  createParamsMutator,
  ParamError,
} from '../../services/controller/src/mutators/params/params-mutator.js';

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

function spec(params: Param[], seed = 0): ParamsMutatorSpec {
  return { kind: 'params', seed, params };
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

/** Every proposal from one head, as the scheduler would draw them: each marks its key as tried. */
async function allProposals(paramsSpec: ParamsMutatorSpec, files: Record<string, string> = { 'train.py': TRAIN_PY }): Promise<Proposal[]> {
  const mutator = createParamsMutator(paramsSpec, OBJECTIVE);
  const tried = new Set<string>();
  const proposals: Proposal[] = [];
  for (;;) {
    const proposal = await mutator.propose(context({ triedFromHead: tried }, files));
    if (proposal === null) return proposals;
    assert.ok(!tried.has(proposal.changeKey), `proposed ${proposal.changeKey} twice`);
    tried.add(proposal.changeKey);
    proposals.push(proposal);
    assert.ok(proposals.length < 100, 'runaway');
  }
}

async function keysOf(params: Param[], files?: Record<string, string>): Promise<string[]> {
  return (await allProposals(spec(params), files)).map((p) => p.changeKey).sort();
}

describe('createParamsMutator: proposals', () => {
  it('changes exactly one param per proposal, with the hypothesis, variable, description and key', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'LEARNING_RATE' })]), OBJECTIVE);
    const proposal = await mutator.propose(context({ triedFromHead: new Set(['LEARNING_RATE: 0.003 -> 0.0015']) }));
    assert.deepEqual(proposal, {
      hypothesis: 'Raising LEARNING_RATE from 0.003 to 0.006 may lower val_bpb',
      variable: 'LEARNING_RATE',
      description: 'LEARNING_RATE 0.003 -> 0.006',
      changeKey: 'LEARNING_RATE: 0.003 -> 0.006',
      edits: [{ path: 'train.py', search: 'LEARNING_RATE = 0.003  # Adam', replace: 'LEARNING_RATE = 0.006  # Adam' }],
    });
  });

  it('says "Lowering" for a smaller value and "raise" when maximizing', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'LEARNING_RATE' })]), { metric: 'pass_rate', direction: 'maximize' });
    const proposal = await mutator.propose(context({ triedFromHead: new Set(['LEARNING_RATE: 0.003 -> 0.006']) }));
    assert.equal(proposal?.hypothesis, 'Lowering LEARNING_RATE from 0.003 to 0.0015 may raise pass_rate');
  });

  it('multiplies and divides by step on a log scale (2 by default)', async () => {
    assert.deepEqual(await keysOf([param({ name: 'LEARNING_RATE' })]), ['LEARNING_RATE: 0.003 -> 0.0015', 'LEARNING_RATE: 0.003 -> 0.006']);
    assert.deepEqual(await keysOf([param({ name: 'LEARNING_RATE', step: 10 })]), ['LEARNING_RATE: 0.003 -> 0.0003', 'LEARNING_RATE: 0.003 -> 0.03']);
  });

  it('adds and subtracts step on a linear scale, without floating-point noise', async () => {
    assert.deepEqual(await keysOf([param({ name: 'WARMUP', scale: 'linear', step: 0.2 })]), ['WARMUP: 0.1 -> -0.1', 'WARMUP: 0.1 -> 0.3']);
  });

  it('clamps to [min, max] and drops a move that would change nothing', async () => {
    assert.deepEqual(await keysOf([param({ name: 'LEARNING_RATE', max: 0.005 })]), ['LEARNING_RATE: 0.003 -> 0.0015', 'LEARNING_RATE: 0.003 -> 0.005']);
    assert.deepEqual(await keysOf([param({ name: 'LEARNING_RATE', max: 0.003 })]), ['LEARNING_RATE: 0.003 -> 0.0015']);
    assert.deepEqual(await keysOf([param({ name: 'DROPOUT', scale: 'linear', step: 0.25, min: 0.5, max: 0.5 })]), []);
  });

  it('rounds integer params and keeps int literals', async () => {
    const proposals = await allProposals(spec([param({ name: 'DEPTH', integer: true, step: 1.5 })]));
    assert.deepEqual(proposals.map((p) => p.changeKey).sort(), ['DEPTH: 8 -> 12', 'DEPTH: 8 -> 5']);
    const up = proposals.find((p) => p.changeKey === 'DEPTH: 8 -> 12')!;
    // DEPTH = 8 recurs indented in schedule(), so the edit carries the line before it as an anchor.
    assert.deepEqual(up.edits, [{ path: 'train.py', search: 'LEARNING_RATE = 0.003  # Adam\nDEPTH = 8', replace: 'LEARNING_RATE = 0.003  # Adam\nDEPTH = 12' }]);
  });

  it('keeps integer bounds inside a fractional min or max', async () => {
    assert.deepEqual(await keysOf([param({ name: 'DEPTH', integer: true, scale: 'linear', step: 3, max: 10.5 })]), ['DEPTH: 8 -> 10', 'DEPTH: 8 -> 5']);
  });

  it('drops an integer move lost to rounding', async () => {
    const files = { 'train.py': 'N = 1\n' };
    assert.deepEqual(await keysOf([param({ name: 'N', integer: true })], files), ['N: 1 -> 2']);
  });

  it('writes a Python float as a float even when it becomes whole', async () => {
    const proposals = await allProposals(spec([param({ name: 'DROPOUT' })]));
    const up = proposals.find((p) => p.changeKey === 'DROPOUT: 0.5 -> 1')!;
    assert.equal(up.edits[0]?.replace, 'DROPOUT = 1.0');
  });

  it('moves a choices param to a neighbouring choice', async () => {
    const choices = ['sgd', 'adamw', 'lion'];
    assert.deepEqual(await keysOf([param({ name: 'OPTIMIZER', choices })]), ['OPTIMIZER: "adamw" -> "lion"', 'OPTIMIZER: "adamw" -> "sgd"']);
    const proposals = await allProposals(spec([param({ name: 'OPTIMIZER', choices })]));
    const lion = proposals.find((p) => p.changeKey.endsWith('"lion"'))!;
    assert.equal(lion.hypothesis, 'Changing OPTIMIZER from "adamw" to "lion" may lower val_bpb');
    assert.equal(lion.edits[0]?.replace, 'OPTIMIZER = "lion"');
    assert.deepEqual(await keysOf([param({ name: 'DEPTH', choices: [8, 12, 16] })]), ['DEPTH: 8 -> 12']);
    assert.deepEqual(await keysOf([param({ name: 'USE_AMP', choices: [true, false] })]), ['USE_AMP: True -> False']);
  });

  it('toggles a boolean without choices, in the script\'s own spelling', async () => {
    const [proposal] = await allProposals(spec([param({ name: 'USE_AMP' })]));
    assert.equal(proposal?.changeKey, 'USE_AMP: True -> False');
    assert.equal(proposal?.edits[0]?.replace, 'USE_AMP = False');
  });

  it('never proposes a key already tried from this head, and returns null when all are tried', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'LEARNING_RATE' }), param({ name: 'DEPTH', integer: true })]), OBJECTIVE);
    const all = ['LEARNING_RATE: 0.003 -> 0.0015', 'LEARNING_RATE: 0.003 -> 0.006', 'DEPTH: 8 -> 4', 'DEPTH: 8 -> 16'];
    for (const left of all) {
      const proposal = await mutator.propose(context({ triedFromHead: new Set(all.filter((key) => key !== left)) }));
      assert.equal(proposal?.changeKey, left);
    }
    assert.equal(await mutator.propose(context({ triedFromHead: new Set(all) })), null);
  });

  it('leaves the moves whose earlier tries were inconclusive until every new move has been tried, then proposes the most promising', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'LEARNING_RATE' }), param({ name: 'DEPTH', integer: true })]), OBJECTIVE);
    const [likely, unlikely, ...others] = ['DEPTH: 8 -> 16', 'LEARNING_RATE: 0.003 -> 0.0015', 'LEARNING_RATE: 0.003 -> 0.006', 'DEPTH: 8 -> 4'];
    const retryFromHead = new Map([[unlikely!, 0.7], [likely!, 0.2]]);
    for (let tried = 0; tried < others.length; tried++) {
      const proposal = await mutator.propose(context({ triedFromHead: new Set(others.slice(0, tried)), retryFromHead }));
      assert.ok(others.includes(proposal!.changeKey), 'a new move comes first');
    }
    const retry = await mutator.propose(context({ triedFromHead: new Set(others), retryFromHead }));
    assert.equal(retry?.changeKey, likely, 'the one most likely a real gain (lowest p-value)');
    assert.equal(await mutator.propose(context({ triedFromHead: new Set([...others, likely!, unlikely!]), retryFromHead: new Map() })), null);
  });

  it('covers every move of every param before it runs out', async () => {
    const keys = await keysOf([param({ name: 'LEARNING_RATE' }), param({ name: 'DEPTH', integer: true }), param({ name: 'USE_AMP' })]);
    assert.deepEqual(keys, ['DEPTH: 8 -> 16', 'DEPTH: 8 -> 4', 'LEARNING_RATE: 0.003 -> 0.0015', 'LEARNING_RATE: 0.003 -> 0.006', 'USE_AMP: True -> False']);
  });

  it('makes edits that apply cleanly and change only that constant, even when the line recurs indented', async () => {
    // "DEPTH = 8" also appears indented inside schedule(), so the search must grow to be unique.
    for (const proposal of await allProposals(spec([param({ name: 'DEPTH', integer: true }), param({ name: 'LEARNING_RATE' })]))) {
      const after = applyEdits({ 'train.py': TRAIN_PY }, proposal.edits, ['train.py'])['train.py']!;
      const changedLines = after.split('\n').filter((line, i) => line !== TRAIN_PY.split('\n')[i]);
      assert.equal(changedLines.length, 1, proposal.changeKey);
      assert.match(after, /\n {4}DEPTH = 8\n/, 'the indented DEPTH is untouched');
    }
  });

  it('edits CRLF files without breaking their line endings', async () => {
    const crlf = 'A = 1\r\nDEPTH = 8\r\ndef f():\r\n    DEPTH = 8\r\n';
    for (const proposal of await allProposals(spec([param({ name: 'DEPTH', integer: true })]), { 'train.py': crlf })) {
      const after = applyEdits({ 'train.py': crlf }, proposal.edits, ['train.py'])['train.py']!;
      assert.equal(after.split('\r\n').length, crlf.split('\r\n').length);
      assert.ok(!/[^\r]\n/.test(after), 'every newline keeps its \\r');
    }
  });

  it('qualifies the name with its file when two files declare the same constant', async () => {
    const files = { 'train.py': 'LR = 0.1\n', 'eval.py': 'LR = 0.2\n' };
    const keys = await keysOf([param({ name: 'LR' }), param({ name: 'LR', file: 'eval.py' })], files);
    assert.deepEqual(keys, ['eval.py:LR: 0.2 -> 0.1', 'eval.py:LR: 0.2 -> 0.4', 'train.py:LR: 0.1 -> 0.05', 'train.py:LR: 0.1 -> 0.2']);
  });

  it('reports the kind "params"', () => {
    assert.equal(createParamsMutator(spec([param({ name: 'DEPTH' })]), OBJECTIVE).kind, 'params');
  });
});

describe('createParamsMutator: determinism', () => {
  const params = [param({ name: 'LEARNING_RATE' }), param({ name: 'DEPTH', integer: true }), param({ name: 'DROPOUT', scale: 'linear', step: 0.1 })];

  it('proposes the same change for the same seed, head and tried count', async () => {
    const a = createParamsMutator(spec(params, 7), OBJECTIVE);
    const b = createParamsMutator(spec(params, 7), OBJECTIVE);
    for (const revisionId of ['r1', 'r2', 'r3']) {
      const tried = new Set(['DEPTH: 8 -> 4']);
      assert.deepEqual(await a.propose(context({ head: { revisionId, score: 1, files: { 'train.py': TRAIN_PY } }, triedFromHead: tried })),
        await b.propose(context({ head: { revisionId, score: 1, files: { 'train.py': TRAIN_PY } }, triedFromHead: new Set(tried) })));
    }
  });

  it('varies its choice with the seed and the head', async () => {
    const picks = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const proposal = await createParamsMutator(spec(params, seed), OBJECTIVE).propose(context());
      picks.add(proposal!.changeKey);
    }
    assert.ok(picks.size >= 4, `only ${[...picks].join(', ')} over 40 seeds`);
    const heads = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const proposal = await createParamsMutator(spec(params, 0), OBJECTIVE).propose(
        context({ head: { revisionId: `rev-${i}`, score: null, files: { 'train.py': TRAIN_PY } } }),
      );
      heads.add(proposal!.changeKey);
    }
    assert.ok(heads.size >= 4);
  });

  it('ignores history and the head score, which do not change what may be tried', async () => {
    const mutator = createParamsMutator(spec(params, 3), OBJECTIVE);
    const plain = await mutator.propose(context());
    const withHistory = await mutator.propose(
      context({
        head: { revisionId: 'rev-head', score: 0.5, files: { 'train.py': TRAIN_PY } },
        history: [{ number: 1, outcome: 'discard', hypothesis: '', variable: 'DEPTH', description: '', changeKey: 'x', score: 2, parentRevisionId: 'r0', reason: null }],
      }),
    );
    assert.deepEqual(plain, withHistory);
  });
});

describe('createParamsMutator: errors', () => {
  it('names the param when its value is not one of its choices', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'OPTIMIZER', choices: ['sgd', 'lion'] })]), OBJECTIVE);
    await assert.rejects(mutator.propose(context()), (error: unknown) => {
      assert.ok(error instanceof ParamError);
      assert.equal(error.code, 'INVALID_PARAM');
      assert.match(error.message, /^mutator\.params\[0\] \(OPTIMIZER\): OPTIMIZER is "adamw" in train\.py, which is not one of the choices \["sgd","lion"\]$/);
      return true;
    });
  });

  it('refuses a linear scale without a step', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'WARMUP', scale: 'linear' })]), OBJECTIVE);
    await assert.rejects(mutator.propose(context()), /mutator\.params\[0\] \(WARMUP\): a linear-scale param needs a step/);
  });

  it('names the file and constant when the constant is missing from the head', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'HIDDEN' })]), OBJECTIVE);
    await assert.rejects(mutator.propose(context()), /^ParamError: mutator\.params\[0\] \(HIDDEN\): constant HIDDEN not found in train\.py$/);
  });

  it('names the file when it is not among the head files', async () => {
    const mutator = createParamsMutator(spec([param({ name: 'LR', file: 'model.py' })]), OBJECTIVE);
    await assert.rejects(mutator.propose(context()), /file model\.py not found/);
  });
});

describe('checkParamsAgainstFiles', () => {
  const files = { 'train.py': TRAIN_PY };

  it('accepts params that match the files', () => {
    assert.deepEqual(
      checkParamsAgainstFiles(
        spec([
          param({ name: 'LEARNING_RATE', min: 1e-5, max: 0.1 }),
          param({ name: 'DEPTH', integer: true, min: 1, max: 64 }),
          param({ name: 'WARMUP', scale: 'linear', step: 0.05, min: 0 }),
          param({ name: 'OPTIMIZER', choices: ['sgd', 'adamw'] }),
          param({ name: 'USE_AMP' }),
        ]),
        files,
      ),
      [],
    );
  });

  it('reports each problem with the param index, name and file', () => {
    const errors = checkParamsAgainstFiles(
      spec([
        param({ name: 'LEARNING_RATE' }),
        param({ name: 'DEPTH', integer: true }),
        param({ name: 'HIDDEN' }),
        param({ name: 'LR', file: 'model.py' }),
        param({ name: 'LEARNING_RATE', max: 0.001 }),
        param({ name: 'DEPTH', file: 'train.py', min: 10 }),
        param({ name: 'OPTIMIZER' }),
        param({ name: 'DROPOUT', choices: [0.1, 0.2] }),
        param({ name: 'WARMUP', scale: 'linear' }),
        param({ name: 'DROPOUT', integer: true, file: 'other.py' }),
      ]),
      { ...files, 'other.py': 'DROPOUT = 0.5\n' },
    );
    assert.deepEqual(errors, [
      'mutator.params[2] (HIDDEN): constant HIDDEN not found in train.py',
      'mutator.params[3] (LR): file model.py not found',
      'mutator.params[4] (LEARNING_RATE): LEARNING_RATE in train.py is already declared as mutator.params[0]',
      'mutator.params[5] (DEPTH): DEPTH in train.py is already declared as mutator.params[1]',
      'mutator.params[6] (OPTIMIZER): OPTIMIZER is "adamw" in train.py; a string param needs choices to move between',
      'mutator.params[7].choices (DROPOUT): DROPOUT is 0.5 in train.py, which is not one of the choices [0.1,0.2]',
      'mutator.params[8].step (WARMUP): a linear-scale param needs a step (the increment)',
      'mutator.params[9].integer (DROPOUT): DROPOUT is 0.5 in other.py, which is not an integer',
    ]);
  });

  it('reports values outside the bounds and inconsistent bounds', () => {
    assert.deepEqual(checkParamsAgainstFiles(spec([param({ name: 'LEARNING_RATE', min: 0.01 })]), files), [
      'mutator.params[0].min (LEARNING_RATE): LEARNING_RATE is 0.003 in train.py, below min 0.01',
    ]);
    assert.deepEqual(checkParamsAgainstFiles(spec([param({ name: 'LEARNING_RATE', max: 0.001 })]), files), [
      'mutator.params[0].max (LEARNING_RATE): LEARNING_RATE is 0.003 in train.py, above max 0.001',
    ]);
    assert.deepEqual(checkParamsAgainstFiles(spec([param({ name: 'LEARNING_RATE', min: 1, max: 0.1 })]), files), [
      'mutator.params[0].max (LEARNING_RATE): max 0.1 is below min 1',
      'mutator.params[0].min (LEARNING_RATE): LEARNING_RATE is 0.003 in train.py, below min 1',
    ]);
  });

  it('refuses a log scale on a value that is not positive, and a log step of 1', () => {
    const signed = { 'train.py': 'ZERO = 0\nNEG = -1.5\nONE = 1\n' };
    assert.deepEqual(
      checkParamsAgainstFiles(spec([param({ name: 'ZERO' }), param({ name: 'NEG' }), param({ name: 'ONE', step: 1 })]), signed),
      [
        'mutator.params[0].scale (ZERO): ZERO is 0 in train.py; a log scale needs a positive value, so use scale "linear"',
        'mutator.params[1].scale (NEG): NEG is -1.5 in train.py; a log scale needs a positive value, so use scale "linear"',
        'mutator.params[2].step (ONE): a log-scale step of 1 would change nothing; use a factor such as 2',
      ],
    );
  });

  it('passes on the reason a constant cannot be used', () => {
    const twice = { 'train.py': 'LR = 1\nLR = 2\n', 'run.sh': 'LR=3\n' };
    assert.deepEqual(checkParamsAgainstFiles(spec([param({ name: 'LR' }), param({ name: 'LR', file: 'run.sh' })]), twice), [
      'mutator.params[0] (LR): constant LR is assigned 2 times at top level in train.py (lines 1 and 2); it must be assigned exactly once',
      'mutator.params[1] (LR): cannot tell the language of run.sh: top-level constants are read from Python (.py) and JavaScript/TypeScript (.js, .ts, …) files, or a script with a python or node shebang',
    ]);
  });

  it('produces messages in the shape the spec check splits into a field and a message', () => {
    const shape = /^(mutator\.params\[\d+\][^:]*?)(?: \([^)]*\))?: (.*)$/s;
    const errors = checkParamsAgainstFiles(spec([param({ name: 'HIDDEN' }), param({ name: 'WARMUP', scale: 'linear' })]), files);
    assert.deepEqual(
      errors.map((e) => shape.exec(e)?.slice(1)),
      [
        ['mutator.params[0]', 'constant HIDDEN not found in train.py'],
        ['mutator.params[1].step', 'a linear-scale param needs a step (the increment)'],
      ],
    );
  });
});
