import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MetricsError } from '../../services/agent/src/errors.js';
import { openMetricsSource } from '../../services/agent/src/metrics/metrics-source.js';

const metricsError = (pattern: RegExp) => (error: unknown) => error instanceof MetricsError && pattern.test(error.message);

describe('openMetricsSource', () => {
  it('reads the summary from stdout lines, with a hint when the separator is missing', async () => {
    const source = openMetricsSource({ source: 'summary' }, 'val_bpb');
    source.readLine('val_bpb: 1');
    assert.match(source.missingHint(), /no '---' line/);
    source.readLine('---');
    source.readLine('val_bpb: 0.5');
    assert.deepEqual(Object.fromEntries(await source.finish('/nowhere')), { val_bpb: 0.5 });
  });

  it('reads keyvalue and regex sources from stdout lines', async () => {
    const keyvalue = openMetricsSource({ source: 'keyvalue' }, 'acc');
    keyvalue.readLine('acc=0.5 loss=1');
    assert.deepEqual(Object.fromEntries(await keyvalue.finish('/nowhere')), { acc: 0.5, loss: 1 });
    const regex = openMetricsSource({ source: 'regex', pattern: 'acc: (\\S+)' }, 'acc');
    regex.readLine('acc: 0.75');
    assert.deepEqual(Object.fromEntries(await regex.finish('/nowhere')), { acc: 0.75 });
  });

  it('reads a json file from the work directory once the run is over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agent-source-'));
    try {
      const source = openMetricsSource({ source: 'json-file', file: 'out.json' }, 'acc');
      source.readLine('acc=0.1');
      await writeFile(join(dir, 'out.json'), '{"acc": 0.9}');
      assert.deepEqual(Object.fromEntries(await source.finish(dir)), { acc: 0.9 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a source it cannot use before anything runs', () => {
    assert.throws(() => openMetricsSource({ source: 'tensorboard' }, 'x'), metricsError(/metrics\.source "tensorboard" is not one of/));
    assert.throws(() => openMetricsSource({ source: 'regex' }, 'x'), metricsError(/metrics\.pattern is required/));
    assert.throws(() => openMetricsSource({ source: 'regex', pattern: '(' }, 'x'), metricsError(/not a valid regular expression/));
    assert.throws(() => openMetricsSource({ source: 'json-file' }, 'x'), metricsError(/metrics\.file is required/));
    assert.throws(() => openMetricsSource({ source: 'json-file', file: '../m.json' }, 'x'), metricsError(/metrics\.file: path "\.\.\/m\.json" climbs out/));
  });
});
