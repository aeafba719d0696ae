import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConstantError,
  findTopLevelConstant,
  formatLiteral,
  formatNumber,
  languageOf,
  rewriteConstantLine,
} from '../../services/controller/src/mutators/params/top-level-constants.js';
import { topLevelLineStarts } from '../../services/controller/src/mutators/params/top-level-lines.js';

const TRAIN_PY = `"""Train a tiny model.

LEARNING_RATE = 1.0 is what the docstring says, but it is not code.
"""
import torch

# Hyperparameters
LEARNING_RATE = 3e-4  # Adam
BATCH_SIZE = 64
WEIGHT_DECAY: float = 0.1
USE_AMP = True
OPTIMIZER = 'adamw'
TOTAL_TOKENS = 1_000_000
DROPOUT = .5
NEG = -2

def train(lr=LEARNING_RATE):
    LEARNING_RATE = 0.5
    return lr

config = dict(
BATCH_SIZE=32,
)
`;

const TRAIN_TS = `// Settings
export const LEARNING_RATE = 0.003; // tuned by hand
const HIDDEN: number = 128;
let USE_CACHE = false
var NAME = "tiny \\"lm\\"";
const GLOB = 'src/**/*.ts';
const STEPS = 1_000;
/* const STEPS = 5; */
const template = \`
const BATCH = 8;
\`;
export const BATCH = 16 /* per device */;
function setup() {
const HIDDEN = 256;
}
`;

function found(source: string, name: string, file: string) {
  const constant = findTopLevelConstant(source, name, file);
  return { line: constant.line, lineIndex: constant.lineIndex, value: constant.value, language: constant.language };
}

function constantError(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConstantError, `expected a ConstantError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('findTopLevelConstant in Python', () => {
  it('finds a float with an exponent and returns the exact line', () => {
    assert.deepEqual(found(TRAIN_PY, 'LEARNING_RATE', 'train.py'), {
      line: 'LEARNING_RATE = 3e-4  # Adam',
      lineIndex: 7,
      value: { kind: 'number', value: 0.0003, integerLiteral: false },
      language: 'python',
    });
  });

  it('reads ints, annotated floats, booleans, strings, digit separators, bare fractions and negatives', () => {
    assert.deepEqual(found(TRAIN_PY, 'BATCH_SIZE', 'train.py').value, { kind: 'number', value: 64, integerLiteral: true });
    assert.deepEqual(found(TRAIN_PY, 'WEIGHT_DECAY', 'train.py').value, { kind: 'number', value: 0.1, integerLiteral: false });
    assert.deepEqual(found(TRAIN_PY, 'USE_AMP', 'train.py').value, { kind: 'boolean', value: true });
    assert.deepEqual(found(TRAIN_PY, 'OPTIMIZER', 'train.py').value, { kind: 'string', value: 'adamw', quote: "'" });
    assert.deepEqual(found(TRAIN_PY, 'TOTAL_TOKENS', 'train.py').value, { kind: 'number', value: 1_000_000, integerLiteral: true });
    assert.deepEqual(found(TRAIN_PY, 'DROPOUT', 'train.py').value, { kind: 'number', value: 0.5, integerLiteral: false });
    assert.deepEqual(found(TRAIN_PY, 'NEG', 'train.py').value, { kind: 'number', value: -2, integerLiteral: true });
  });

  it('ignores docstrings, indented code and lines inside brackets', () => {
    // LEARNING_RATE also appears in the docstring and indented in train(); BATCH_SIZE inside dict(...).
    assert.equal(found(TRAIN_PY, 'LEARNING_RATE', 'train.py').lineIndex, 7);
    assert.equal(found(TRAIN_PY, 'BATCH_SIZE', 'train.py').lineIndex, 8);
  });

  it('does not mistake a longer name or a comparison for the constant', () => {
    const source = 'LR_MAX = 1\nLR == 2\nLR = 3\n';
    assert.equal(found(source, 'LR', 'a.py').line, 'LR = 3');
  });

  it('reads False, double quotes and exponents with signs and separators', () => {
    const source = 'A = False\nB = "x"\nC = 1_0.2_5e+1_0\nD = 5.\n';
    assert.deepEqual(found(source, 'A', 'a.py').value, { kind: 'boolean', value: false });
    assert.deepEqual(found(source, 'B', 'a.py').value, { kind: 'string', value: 'x', quote: '"' });
    assert.deepEqual(found(source, 'C', 'a.py').value, { kind: 'number', value: 10.25e10, integerLiteral: false });
    assert.deepEqual(found(source, 'D', 'a.py').value, { kind: 'number', value: 5, integerLiteral: false });
  });

  it('names the file and constant when the constant is missing', () => {
    constantError(() => findTopLevelConstant(TRAIN_PY, 'HIDDEN', 'train.py'), 'CONSTANT_NOT_FOUND', /^constant HIDDEN not found in train\.py$/);
    // Only indented, so not top level.
    constantError(() => findTopLevelConstant('def f():\n    HIDDEN = 3\n', 'HIDDEN', 'train.py'), 'CONSTANT_NOT_FOUND', /HIDDEN not found/);
  });

  it('refuses a constant assigned twice at top level, augmented assignments included', () => {
    constantError(
      () => findTopLevelConstant('LR = 1e-3\nx = 1\nLR = 2e-3\n', 'LR', 'train.py'),
      'CONSTANT_DEFINED_TWICE',
      /^constant LR is assigned 2 times at top level in train\.py \(lines 1 and 3\); it must be assigned exactly once$/,
    );
    constantError(() => findTopLevelConstant('LR = 1e-3\nLR *= 2\n', 'LR', 'train.py'), 'CONSTANT_DEFINED_TWICE', /lines 1 and 2/);
  });

  it('refuses a value that is not a plain literal', () => {
    for (const line of ['LR = 1 / 3', 'LR = compute()', 'LR = 3e-4 if FAST else 1e-3', "LR = r'raw'", 'LR *= 2']) {
      constantError(
        () => findTopLevelConstant(`${line}\n`, 'LR', 'train.py'),
        'UNSUPPORTED_VALUE',
        /^constant LR in train\.py \(line 1\) is not assigned a plain number, boolean or string literal/,
      );
    }
  });

  it('handles CRLF line endings', () => {
    const constant = findTopLevelConstant('import os\r\nLR = 0.1 # x\r\n', 'LR', 'train.py');
    assert.equal(constant.line, 'LR = 0.1 # x');
    assert.equal(rewriteConstantLine(constant, '0.2'), 'LR = 0.2 # x');
  });

  it('ignores lines continued with a backslash and strings spanning lines', () => {
    const source = 'X = 1 + \\\nLR = 5\nS = """\nLR = 6\n"""\nLR = 7\n';
    assert.equal(found(source, 'LR', 'train.py').line, 'LR = 7');
  });

  it('does not let a quote in a comment hide later lines', () => {
    assert.equal(found("# don't\nLR = 1\n", 'LR', 'train.py').line, 'LR = 1');
  });
});

describe('findTopLevelConstant in JavaScript and TypeScript', () => {
  it('finds const, let and var, exported or not, with a trailing comment', () => {
    assert.deepEqual(found(TRAIN_TS, 'LEARNING_RATE', 'train.ts'), {
      line: 'export const LEARNING_RATE = 0.003; // tuned by hand',
      lineIndex: 1,
      value: { kind: 'number', value: 0.003, integerLiteral: false },
      language: 'javascript',
    });
    assert.deepEqual(found(TRAIN_TS, 'HIDDEN', 'train.ts').value, { kind: 'number', value: 128, integerLiteral: true });
    assert.deepEqual(found(TRAIN_TS, 'USE_CACHE', 'train.ts').value, { kind: 'boolean', value: false });
    assert.deepEqual(found(TRAIN_TS, 'NAME', 'train.ts').value, { kind: 'string', value: 'tiny "lm"', quote: '"' });
    assert.deepEqual(found(TRAIN_TS, 'STEPS', 'train.ts').value, { kind: 'number', value: 1000, integerLiteral: true });
  });

  it('skips block comments, template literals and function bodies, even unindented', () => {
    assert.equal(found(TRAIN_TS, 'STEPS', 'train.ts').lineIndex, 6);
    assert.equal(found(TRAIN_TS, 'BATCH', 'train.ts').line, 'export const BATCH = 16 /* per device */;');
    assert.equal(found(TRAIN_TS, 'HIDDEN', 'train.ts').lineIndex, 2);
  });

  it('is not fooled by a glob such as src/**/*.ts inside a string', () => {
    assert.deepEqual(found(TRAIN_TS, 'GLOB', 'train.ts').value, { kind: 'string', value: 'src/**/*.ts', quote: "'" });
    assert.equal(found(TRAIN_TS, 'STEPS', 'train.ts').line, 'const STEPS = 1_000;');
  });

  it('reads .js, .mjs, .cjs, .jsx and .tsx files as JavaScript', () => {
    for (const file of ['a.js', 'a.mjs', 'a.cjs', 'a.jsx', 'a.tsx', 'a.mts']) assert.equal(found('const A = 1;\n', 'A', file).language, 'javascript');
  });

  it('counts a later reassignment as a second definition', () => {
    constantError(() => findTopLevelConstant('let LR = 1;\nLR = 2;\n', 'LR', 'a.js'), 'CONSTANT_DEFINED_TWICE', /LR is assigned 2 times/);
    constantError(() => findTopLevelConstant('let LR = 1;\nLR ??= 2;\n', 'LR', 'a.js'), 'CONSTANT_DEFINED_TWICE', /LR/);
  });

  it('refuses several declarations on one line and computed values', () => {
    constantError(() => findTopLevelConstant('const A = 1, B = 2;\n', 'A', 'a.js'), 'UNSUPPORTED_VALUE', /constant A in a\.js/);
    constantError(() => findTopLevelConstant('const A = 2 ** 10;\n', 'A', 'a.js'), 'UNSUPPORTED_VALUE', /constant A/);
  });

  it('does not accept Python booleans in JavaScript', () => {
    constantError(() => findTopLevelConstant('const A = True;\n', 'A', 'a.js'), 'UNSUPPORTED_VALUE', /constant A/);
  });
});

describe('languageOf', () => {
  it('goes by the extension, then by the shebang', () => {
    assert.equal(languageOf('train.py', ''), 'python');
    assert.equal(languageOf('stubs.pyi', ''), 'python');
    assert.equal(languageOf('bin/train', '#!/usr/bin/env python3\nLR = 1\n'), 'python');
    assert.equal(languageOf('bin/train', '#!/usr/bin/env node\n'), 'javascript');
  });

  it('refuses a file it cannot read constants from', () => {
    constantError(() => languageOf('train.sh', 'LR=3\n'), 'UNSUPPORTED_LANGUAGE', /cannot tell the language of train\.sh/);
  });
});

describe('rewriteConstantLine', () => {
  it('replaces only the literal, keeping spacing, annotation, semicolon and comment', () => {
    const py = findTopLevelConstant(TRAIN_PY, 'LEARNING_RATE', 'train.py');
    assert.equal(rewriteConstantLine(py, '0.0006'), 'LEARNING_RATE = 0.0006  # Adam');
    const annotated = findTopLevelConstant(TRAIN_PY, 'WEIGHT_DECAY', 'train.py');
    assert.equal(rewriteConstantLine(annotated, '0.2'), 'WEIGHT_DECAY: float = 0.2');
    const ts = findTopLevelConstant(TRAIN_TS, 'LEARNING_RATE', 'train.ts');
    assert.equal(rewriteConstantLine(ts, '0.006'), 'export const LEARNING_RATE = 0.006; // tuned by hand');
    const typed = findTopLevelConstant(TRAIN_TS, 'HIDDEN', 'train.ts');
    assert.equal(rewriteConstantLine(typed, '256'), 'const HIDDEN: number = 256;');
  });
});

describe('formatNumber', () => {
  it('writes integers exactly and others to at most 6 significant digits', () => {
    assert.equal(formatNumber(0.1 + 0.2), '0.3');
    assert.equal(formatNumber(0.0003 * 2), '0.0006');
    assert.equal(formatNumber(1 / 3), '0.333333');
    assert.equal(formatNumber(1234567), '1234567');
    assert.equal(formatNumber(1234567.89), '1234570');
    assert.equal(formatNumber(1e-7), '1e-7');
    assert.equal(formatNumber(-0), '0');
    assert.equal(formatNumber(-2.5), '-2.5');
  });

  it('refuses non-finite numbers', () => {
    assert.throws(() => formatNumber(Infinity), /cannot write Infinity/);
    assert.throws(() => formatNumber(Number.NaN), /cannot write NaN/);
  });
});

describe('formatLiteral', () => {
  it('writes booleans in the language of the script', () => {
    assert.equal(formatLiteral(true, 'python'), 'True');
    assert.equal(formatLiteral(false, 'python'), 'False');
    assert.equal(formatLiteral(true, 'javascript'), 'true');
  });

  it('keeps a Python float a float and an int an int', () => {
    const float = { kind: 'number', value: 0.5, integerLiteral: false } as const;
    const int = { kind: 'number', value: 64, integerLiteral: true } as const;
    assert.equal(formatLiteral(1, 'python', float), '1.0');
    assert.equal(formatLiteral(-2, 'python', float), '-2.0');
    assert.equal(formatLiteral(0.25, 'python', float), '0.25');
    assert.equal(formatLiteral(128, 'python', int), '128');
    assert.equal(formatLiteral(1, 'javascript', float), '1');
  });

  it('quotes strings like the literal they replace and escapes them', () => {
    assert.equal(formatLiteral('adam', 'python', { kind: 'string', value: 'adamw', quote: "'" }), "'adam'");
    assert.equal(formatLiteral('adam', 'python'), '"adam"');
    assert.equal(formatLiteral(`it's a\\b`, 'python', { kind: 'string', value: '', quote: "'" }), `'it\\'s a\\\\b'`);
    assert.equal(formatLiteral('say "hi"', 'javascript'), '"say \\"hi\\""');
  });
});

describe('topLevelLineStarts', () => {
  it('marks lines inside brackets, strings and comments as not top level', () => {
    assert.deepEqual(topLevelLineStarts('a = (\n1,\n)\nb = 2\n', 'python'), [true, false, false, true, true]);
    assert.deepEqual(topLevelLineStarts("x = '''\ny\n'''\nz\n", 'python'), [true, false, false, true, true]);
    assert.deepEqual(topLevelLineStarts('/*\nx\n*/\ny\n', 'javascript'), [true, false, false, true, true]);
    assert.deepEqual(topLevelLineStarts('f({\nx\n});\n// {\ny\n', 'javascript'), [true, false, false, true, true, true]);
  });
});
