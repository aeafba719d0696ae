import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBatcher } from '../../services/agent/src/output/batcher.js';
import { createLineSplitter, type Line } from '../../services/agent/src/output/line-splitter.js';
import { createLogTail } from '../../services/agent/src/output/log-tail.js';

function split(chunks: Array<string | Buffer>, max?: number): Line[] {
  const lines: Line[] = [];
  const splitter = createLineSplitter((line) => lines.push(line), max);
  for (const chunk of chunks) splitter.write(chunk);
  splitter.end();
  return lines;
}
const texts = (lines: Line[]) => lines.map((line) => line.text);

describe('createLineSplitter', () => {
  it('joins partial lines across chunks', () => {
    assert.deepEqual(texts(split(['he', 'llo\nwor', 'ld\n'])), ['hello', 'world']);
  });

  it('emits a last line without a newline at the end', () => {
    assert.deepEqual(texts(split(['a\nb'])), ['a', 'b']);
  });

  it('keeps empty lines and strips CR from CRLF, also across chunks', () => {
    assert.deepEqual(texts(split(['a\r\n\r\nb\r', '\nc'])), ['a', '', 'b', 'c']);
  });

  it('does not split a multi-byte character cut between chunks', () => {
    const bytes = Buffer.from('héllo ✓\n');
    assert.deepEqual(texts(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])), ['héllo ✓']);
  });

  it('cuts very long lines and says how much was cut', () => {
    const lines = split(['x'.repeat(100), 'y'.repeat(50), '\nshort\n'], 64);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.truncated, true);
    assert.ok(lines[0]!.text.length <= 64);
    assert.match(lines[0]!.text, /^x+ … \[86 more characters cut\]$/);
    assert.deepEqual(lines[1], { text: 'short', truncated: false });
  });

  it('caps at 16 KiB by default', () => {
    const [line] = split(['z'.repeat(100_000)]);
    assert.equal(line!.text.length, 16 * 1024);
    assert.equal(line!.truncated, true);
  });
});

describe('createLogTail', () => {
  it('keeps the last lines in order', () => {
    const tail = createLogTail(3);
    for (const line of ['1', '2']) tail.push(line);
    assert.deepEqual(tail.lines(), ['1', '2']);
    for (const line of ['3', '4', '5', '6', '7']) tail.push(line);
    assert.deepEqual(tail.lines(), ['5', '6', '7']);
  });
});

describe('createBatcher', () => {
  const collect = (options: { maxItems?: number; intervalMs?: number; maxPending?: number; delayMs?: number } = {}) => {
    const batches: number[][] = [];
    const problems: string[] = [];
    const batcher = createBatcher<number>({
      maxItems: options.maxItems ?? 3,
      intervalMs: options.intervalMs ?? 20,
      maxPending: options.maxPending ?? 1000,
      send: async (items) => {
        if (options.delayMs) await sleep(options.delayMs);
        batches.push(items);
      },
      onProblem: (problem) => problems.push(problem),
    });
    return { batcher, batches, problems };
  };

  it('sends a full batch at once and the rest after the interval, in order', async () => {
    const { batcher, batches } = collect();
    for (const n of [1, 2, 3, 4]) batcher.push(n);
    await sleep(0);
    assert.deepEqual(batches, [[1, 2, 3]]);
    await sleep(40);
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
    await batcher.close();
  });

  it('close sends what is waiting', async () => {
    const { batcher, batches } = collect({ intervalMs: 10_000 });
    batcher.push(1);
    await batcher.close();
    assert.deepEqual(batches, [[1]]);
  });

  it('drops and reports items beyond maxPending while the receiver is slow', async () => {
    const { batcher, batches, problems } = collect({ maxItems: 2, maxPending: 4, delayMs: 20 });
    for (let n = 0; n < 10; n += 1) batcher.push(n);
    await batcher.close();
    assert.deepEqual(batches.flat(), [0, 1, 2, 3]);
    assert.deepEqual(problems, ['dropped 6 items because the transport could not keep up']);
  });

  it('reports a batch that could not be sent and goes on', async () => {
    const problems: string[] = [];
    const sent: number[][] = [];
    const batcher = createBatcher<number>({
      maxItems: 1,
      intervalMs: 10,
      maxPending: 10,
      send: async (items) => {
        if (items[0] === 1) throw new Error('channel closed');
        sent.push(items);
      },
      onProblem: (problem) => problems.push(problem),
    });
    batcher.push(1);
    batcher.push(2);
    await batcher.close();
    assert.deepEqual(sent, [[2]]);
    assert.deepEqual(problems, ['could not send 1 items: channel closed']);
  });
});
