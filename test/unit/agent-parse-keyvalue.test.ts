import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeyValue, parseKeyValueLine } from '../../services/agent/src/metrics/parse-keyvalue.js';

const asObject = (text: string) => Object.fromEntries(parseKeyValue(text));

describe('parseKeyValueLine', () => {
  it('reads several pairs separated by spaces, commas, tabs and semicolons', () => {
    assert.deepEqual(parseKeyValueLine('loss=0.5 acc=0.9,lr=1e-3\tstep=3;epoch=1'), [
      { name: 'loss', value: 0.5 },
      { name: 'acc', value: 0.9 },
      { name: 'lr', value: 0.001 },
      { name: 'step', value: 3 },
      { name: 'epoch', value: 1 },
    ]);
  });

  it('accepts pairs after an RFC 3339 timestamp', () => {
    assert.deepEqual(parseKeyValueLine('2026-01-05T10:00:00Z loss=0.25'), [{ name: 'loss', value: 0.25 }]);
    assert.deepEqual(parseKeyValueLine('2026-01-05T10:00:00.123+02:00 accuracy=0.91'), [{ name: 'accuracy', value: 0.91 }]);
  });

  it('accepts spaces around =, as Katib does', () => {
    assert.deepEqual(parseKeyValueLine('loss = 0.5, acc= 0.7'), [
      { name: 'loss', value: 0.5 },
      { name: 'acc', value: 0.7 },
    ]);
  });

  it('reads pairs among other text', () => {
    assert.deepEqual(parseKeyValueLine('Epoch 1/10: train loss=0.5 (best) val.acc=0.8'), [
      { name: 'loss', value: 0.5 },
      { name: 'val.acc', value: 0.8 },
    ]);
  });

  it('ignores pairs whose value is not a number, and pairs glued to other text', () => {
    assert.deepEqual(parseKeyValueLine('mode=train loss=0.5s x=1=2 a=b=3 url=http://x?y=1 foo-bar=2'), [{ name: 'foo-bar', value: 2 }]);
    assert.deepEqual(parseKeyValueLine('no metrics here'), []);
    assert.deepEqual(parseKeyValueLine(''), []);
  });

  it('reads negative, scientific and non-finite values', () => {
    const pairs = parseKeyValueLine('a=-1.5 b=2E5 c=nan d=-inf');
    assert.deepEqual(pairs.slice(0, 2), [
      { name: 'a', value: -1.5 },
      { name: 'b', value: 200000 },
    ]);
    assert.ok(Number.isNaN(pairs[2]!.value));
    assert.equal(pairs[3]!.value, Number.NEGATIVE_INFINITY);
  });
});

describe('parseKeyValue', () => {
  it('keeps the last value of each name', () => {
    assert.deepEqual(asObject('step=1 loss=2.0\nstep=2 loss=1.5\naccuracy=0.7\nstep=3 loss=1.2\n'), { step: 3, loss: 1.2, accuracy: 0.7 });
  });

  it('handles CRLF and junk lines', () => {
    assert.deepEqual(asObject('starting...\r\nloss=0.5\r\n=3\r\n\r\nTraceback: x\r\n'), { loss: 0.5 });
  });
});
