import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSummary } from '../../services/agent/src/metrics/parse-summary.js';

const AUTORESEARCH_OUTPUT = `step 00950 | loss: 2.8123 | lr: 0.0004
step 00953 | loss: 2.8101 | lr: 0.0004
---
val_bpb: 0.997900
training_seconds: 300.1
total_seconds: 325.9
peak_vram_mb: 45060.2
mfu_percent: 39.80
total_tokens_M: 499.6
num_steps: 953
num_params_M: 50.3
depth: 8
`;

const asObject = (text: string) => Object.fromEntries(parseSummary(text));

describe('parseSummary', () => {
  it("reads autoresearch's summary", () => {
    assert.deepEqual(asObject(AUTORESEARCH_OUTPUT), {
      val_bpb: 0.9979,
      training_seconds: 300.1,
      total_seconds: 325.9,
      peak_vram_mb: 45060.2,
      mfu_percent: 39.8,
      total_tokens_M: 499.6,
      num_steps: 953,
      num_params_M: 50.3,
      depth: 8,
    });
  });

  it('finds nothing without a --- line, even if lines look like metrics', () => {
    assert.deepEqual(asObject('loss: 2.5\nval_bpb: 0.99\n'), {});
  });

  it('reads only after the last --- line', () => {
    assert.deepEqual(asObject('---\nval_bpb: 1.5\nold: 1\n---\nval_bpb: 0.9\n'), { val_bpb: 0.9 });
  });

  it('finds nothing when the last --- ends the output', () => {
    assert.deepEqual(asObject('---\nval_bpb: 0.9\n---\n'), {});
  });

  it('handles CRLF line endings', () => {
    assert.deepEqual(asObject('train\r\n---\r\nval_bpb: 0.5\r\ndepth: 8\r\n'), { val_bpb: 0.5, depth: 8 });
  });

  it('accepts scientific notation, signs and leading dots', () => {
    assert.deepEqual(asObject('---\na: 1e-3\nb: -2.5E+2\nc: +3\nd: .5\ne: 5.\n'), { a: 0.001, b: -250, c: 3, d: 0.5, e: 5 });
  });

  it('accepts names with dots and dashes', () => {
    assert.deepEqual(asObject('---\neval.acc: 0.8\ntop-1: 0.7\n'), { 'eval.acc': 0.8, 'top-1': 0.7 });
  });

  it('ignores lines that are not name: number', () => {
    const text = '---\nnote: hello\ntime: 12.3s\nval_bpb 0.9\nval_bpb: 0.9 extra\n1abc: 3\n: 4\n\nval_bpb: 0.99\n';
    assert.deepEqual(asObject(text), { val_bpb: 0.99 });
  });

  it('tolerates whitespace around the separator and values', () => {
    assert.deepEqual(asObject('  ---  \n  val_bpb:   0.9  \nx:1\n'), { val_bpb: 0.9, x: 1 });
  });

  it('does not take a longer dash line for the separator', () => {
    assert.deepEqual(asObject('---\nval_bpb: 0.9\n----\nval_bpb: 0.8\n'), { val_bpb: 0.8 });
    assert.deepEqual(asObject('----\nval_bpb: 0.9\n'), {});
  });

  it('keeps the last value of a repeated name', () => {
    assert.deepEqual(asObject('---\nval_bpb: 0.9\nval_bpb: 0.8\n'), { val_bpb: 0.8 });
  });

  it('reads nan and inf as values that are not finite', () => {
    const values = parseSummary('---\nval_bpb: nan\nloss: inf\nneg: -inf\nbig: Infinity\n');
    assert.ok(Number.isNaN(values.get('val_bpb')));
    assert.equal(values.get('loss'), Number.POSITIVE_INFINITY);
    assert.equal(values.get('neg'), Number.NEGATIVE_INFINITY);
    assert.equal(values.get('big'), Number.POSITIVE_INFINITY);
  });

  it('reads an empty output as no metrics', () => {
    assert.deepEqual(asObject(''), {});
  });
});
