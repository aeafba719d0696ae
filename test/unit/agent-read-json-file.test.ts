import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MetricsError } from '../../services/agent/src/errors.js';
import { parseJsonMetrics, readJsonMetricsFile } from '../../services/agent/src/metrics/read-json-file.js';

const asObject = (text: string) => Object.fromEntries(parseJsonMetrics(text));

describe('parseJsonMetrics', () => {
  it('reads a flat object of numbers', () => {
    assert.deepEqual(asObject('{"val_bpb": 0.99, "steps": 953}'), { val_bpb: 0.99, steps: 953 });
  });

  it('flattens nested objects with dots and skips what is not a number', () => {
    const text = JSON.stringify({ eval: { acc: 0.8, per_class: { a: 1 } }, name: 'x', ok: true, none: null, list: [1, 2], loss: -1e-3 });
    assert.deepEqual(asObject(text), { 'eval.acc': 0.8, 'eval.per_class.a': 1, loss: -0.001 });
  });

  it('reads JSON lines, last value of each name wins', () => {
    assert.deepEqual(asObject('{"step": 1, "loss": 2}\n{"step": 2, "loss": 1.5}\n\n{"acc": 0.5}\n'), { step: 2, loss: 1.5, acc: 0.5 });
  });

  it("reads Python's NaN and Infinity as values that are not finite, but not inside strings", () => {
    const values = parseJsonMetrics('{"val_bpb": NaN, "a": Infinity, "b": -Infinity, "note": "NaN Infinity", "c": 1}');
    assert.ok(Number.isNaN(values.get('val_bpb')));
    assert.equal(values.get('a'), Number.POSITIVE_INFINITY);
    assert.equal(values.get('b'), Number.NEGATIVE_INFINITY);
    assert.equal(values.get('c'), 1);
    assert.equal(values.has('note'), false);
  });

  it('handles escaped quotes in strings', () => {
    assert.deepEqual(asObject('{"s": "a \\" NaN", "x": 2}'), { x: 2 });
  });

  it('refuses a top-level array or number, an empty file and invalid JSON', () => {
    assert.throws(() => parseJsonMetrics('[1, 2]'), /must hold a JSON object of metrics, not an array/);
    assert.throws(() => parseJsonMetrics('42'), /not number/);
    assert.throws(() => parseJsonMetrics('  \n'), /is empty/);
    assert.throws(() => parseJsonMetrics('{"a": 1}\n{"b": '), (error: unknown) => error instanceof MetricsError && /line 2/.test(error.message));
  });
});

describe('readJsonMetricsFile', () => {
  let root: string;
  let workdir: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-json-test-'));
    workdir = join(root, 'work');
    await mkdir(join(workdir, 'out'), { recursive: true });
    await writeFile(join(workdir, 'out', 'metrics.json'), '{"val_bpb": 0.9, "eval": {"acc": 0.5}}');
    await writeFile(join(root, 'secret.json'), '{"secret": 42}');
    await symlink(join(root, 'secret.json'), join(workdir, 'link.json'));
    await symlink('out/metrics.json', join(workdir, 'inside-link.json'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('reads a file relative to the work directory', async () => {
    assert.deepEqual(Object.fromEntries(await readJsonMetricsFile(workdir, 'out/metrics.json')), { val_bpb: 0.9, 'eval.acc': 0.5 });
  });

  it('follows a link that stays inside the work directory', async () => {
    assert.equal((await readJsonMetricsFile(workdir, 'inside-link.json')).get('val_bpb'), 0.9);
  });

  it('says so when the file was not written', async () => {
    await assert.rejects(readJsonMetricsFile(workdir, 'missing.json'), /metrics file missing\.json was not written/);
  });

  it('refuses paths that escape the work directory', async () => {
    await assert.rejects(readJsonMetricsFile(workdir, '../secret.json'), (error: unknown) => error instanceof MetricsError && /climbs out/.test(error.message));
    await assert.rejects(readJsonMetricsFile(workdir, join(root, 'secret.json')), /is absolute/);
    await assert.rejects(readJsonMetricsFile(workdir, 'link.json'), /leads outside the work directory/);
  });

  it('refuses a directory', async () => {
    await assert.rejects(readJsonMetricsFile(workdir, 'out'), /not a regular file/);
  });
});
