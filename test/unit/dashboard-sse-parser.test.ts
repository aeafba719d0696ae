import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../../services/dashboard/src/api/sse-parser.js';

describe('the dashboard\'s server-sent events parser', () => {
  it('parses events split anywhere across chunks, with ids, names and comments', () => {
    const text = 'retry: 2000\n: connected\n\nid: 7\nevent: experiment.decided\ndata: {"id":7}\n\nid: 8\ndata: {"id":8}\n\n';
    for (let cut = 0; cut < text.length; cut++) {
      const parser = new SseParser();
      const messages = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      assert.deepEqual(messages, [
        { lastEventId: '7', event: 'experiment.decided', data: '{"id":7}' },
        { lastEventId: '8', event: 'message', data: '{"id":8}' },
      ], `cut at ${cut}`);
      assert.equal(parser.retryMs, 2000);
    }
  });

  it('accepts CRLF and CR line ends, even a CRLF split between chunks', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: a\r'), []);
    assert.deepEqual(parser.push('\ndata: b\r\r'), [{ lastEventId: '', event: 'message', data: 'a\nb' }]);
    assert.deepEqual(parser.push('data:c\r\n\r\n'), [{ lastEventId: '', event: 'message', data: 'c' }]);
  });

  it('keeps the last id across events and ignores an event without data', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('id: 3\n\n'), []);
    assert.equal(parser.lastEventId, '3');
    assert.deepEqual(parser.push('data: x\n\n'), [{ lastEventId: '3', event: 'message', data: 'x' }]);
  });
});
