import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsError } from '../../services/agent/src/errors.js';
import { compileMetricRegex, parseRegex } from '../../services/agent/src/metrics/parse-regex.js';

const asObject = (text: string, pattern: string, objective = 'val_bpb') => Object.fromEntries(parseRegex(text, pattern, objective));

describe('compileMetricRegex', () => {
  it('recognizes the named-group form', () => {
    assert.equal(compileMetricRegex('(?<name>\\w+) is (?<value>[\\d.]+)').form, 'named');
  });

  it('recognizes the single-group form, ignoring non-capturing groups', () => {
    assert.equal(compileMetricRegex('val_bpb=([\\d.]+)').form, 'single');
    assert.equal(compileMetricRegex('(?:val|eval)_bpb=([\\d.]+)').form, 'single');
  });

  it('refuses an invalid regex with a clear error', () => {
    assert.throws(() => compileMetricRegex('val_bpb=([\\d.]+'), (error: unknown) => {
      assert.ok(error instanceof MetricsError);
      assert.match(error.message, /metrics\.pattern is not a valid regular expression/);
      return true;
    });
  });

  it('refuses a regex without groups, or with several unnamed ones', () => {
    assert.throws(() => compileMetricRegex('val_bpb=\\d+'), /exactly one capture group.*it has 0/);
    assert.throws(() => compileMetricRegex('(\\w+)=(\\d+)'), /it has 2 capture groups/);
  });

  it('refuses a name group without a value group and the reverse', () => {
    assert.throws(() => compileMetricRegex('(?<name>\\w+)=\\d+'), /group named name but no group named value/);
    assert.throws(() => compileMetricRegex('x=(?<value>\\d+)'), /group named value but no group named name/);
  });
});

describe('parseRegex', () => {
  it('reads named groups, several matches per line, last value wins', () => {
    const text = 'loss is 2.5, acc is 0.7\nloss is 1.5\n';
    assert.deepEqual(asObject(text, '(?<name>\\w+) is (?<value>[\\d.]+)'), { acc: 0.7, loss: 1.5 });
  });

  it('gives the single group to the objective metric', () => {
    assert.deepEqual(asObject('eval: bpb=1.2\neval: bpb=0.95\n', 'bpb=([\\d.eE+-]+)'), { val_bpb: 0.95 });
  });

  it('ignores matches whose value is not a number or whose name is not a metric name', () => {
    assert.deepEqual(asObject('a is x\n1b is 2\nc is 3\n', '(?<name>\\S+) is (?<value>\\S+)'), { c: 3 });
  });

  it('reads NaN values as not finite', () => {
    const values = parseRegex('bpb=nan\n', 'bpb=(\\S+)', 'val_bpb');
    assert.ok(Number.isNaN(values.get('val_bpb')));
  });

  it('applies the regex per line and handles CRLF', () => {
    assert.deepEqual(asObject('bpb=1\r\nbpb=2\r\n', '^bpb=(\\d+)$'), { val_bpb: 2 });
  });

  it('is not confused by a pattern that can match the empty string', () => {
    assert.deepEqual(asObject('val 3\nnothing\n', '(\\d*)'), { val_bpb: 3 });
  });
});
