import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { canonicalJson, sha256Hex, signAgentMessage, SignedAgentMessage, verifyAgentMessage } from '../../schemas/src/message-mac.js';
import type { AgentMessage, ResultMessage } from '../../schemas/src/messages.js';
import { natsSubjects, resultMessageId } from '../../schemas/src/subjects.js';

const TOKEN = 'run-token-0123456789';
const RUN = '2b1e7c1a-4a5f-4c6e-9d0b-3f1f2a3b4c5d';
const result: ResultMessage = {
  type: 'result',
  runId: RUN,
  attempt: 2,
  status: 'succeeded',
  exitCode: 0,
  signal: null,
  startedAt: 1_700_000_000_000,
  finishedAt: 1_700_000_300_250,
  peakMemoryMb: 512.5,
  metrics: { val_bpb: 0.9979, b: 1e-7, a: -0 },
  logTail: ['step 100', 'val_bpb: 0.997900', 'ünïcödé \u2028 "quoted"'],
};
const checkEnvelope = TypeCompiler.Compile(SignedAgentMessage);

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('leaves out undefined members and is unchanged by a JSON round trip', () => {
    assert.equal(canonicalJson({ a: undefined, b: 'x' }), '{"b":"x"}');
    assert.equal(canonicalJson(JSON.parse(JSON.stringify(result))), canonicalJson(result));
  });
});

describe('signAgentMessage / verifyAgentMessage', () => {
  it('is HMAC-SHA256 of the canonical JSON keyed with sha256hex(token), as another language would compute it', () => {
    const envelope = signAgentMessage(result, TOKEN);
    const expected = createHmac('sha256', sha256Hex(TOKEN)).update(canonicalJson(result)).digest('hex');
    assert.equal(envelope.mac, expected);
    assert.ok(checkEnvelope.Check(envelope));
  });

  it('verifies with the stored token hash, whatever the key order on the wire', () => {
    const envelope = signAgentMessage(result, TOKEN);
    const reordered = JSON.parse(JSON.stringify({ mac: envelope.mac, message: { ...Object.fromEntries(Object.entries(result).reverse()) } }));
    assert.equal(verifyAgentMessage(reordered, sha256Hex(TOKEN)), true);
  });

  it('refuses another token, a changed message, or a malformed MAC', () => {
    const envelope = signAgentMessage(result, TOKEN);
    assert.equal(verifyAgentMessage(envelope, sha256Hex('another-token')), false);
    const changed: AgentMessage = { ...result, metrics: { ...result.metrics, val_bpb: 0.5 } };
    assert.equal(verifyAgentMessage({ message: changed, mac: envelope.mac }, sha256Hex(TOKEN)), false);
    assert.equal(verifyAgentMessage({ message: result, mac: envelope.mac.slice(0, 63) }, sha256Hex(TOKEN)), false);
    assert.equal(verifyAgentMessage({ message: result, mac: envelope.mac.toUpperCase() }, sha256Hex(TOKEN)), false);
    assert.equal(verifyAgentMessage({ message: result, mac: 'zz'.repeat(32) }, sha256Hex(TOKEN)), false);
  });

  it('the envelope schema refuses extra fields and a MAC that is not 64 hex digits', () => {
    const envelope = signAgentMessage(result, TOKEN);
    assert.equal(checkEnvelope.Check({ ...envelope, token: TOKEN }), false);
    assert.equal(checkEnvelope.Check({ ...envelope, mac: 'abc' }), false);
  });
});

describe('natsSubjects', () => {
  it('names every subject under the prefix and parses them back', () => {
    const s = natsSubjects();
    assert.equal(s.run(RUN, 'log'), `ar.run.${RUN}.log`);
    assert.equal(s.control(RUN), `ar.control.${RUN}`);
    assert.equal(s.result(RUN), `ar.result.${RUN}`);
    assert.equal(s.resultsStream, 'AR_RESULTS');
    assert.deepEqual(s.parseRun(`ar.run.${RUN}.progress`), { runId: RUN, type: 'progress' });
    assert.equal(s.parseRun(`ar.run.${RUN}.result`), null);
    assert.equal(s.parseRun(`other.run.${RUN}.log`), null);
    assert.deepEqual(s.parseResult(`ar.result.${RUN}`), { runId: RUN });
    assert.equal(natsSubjects('t1').resultsStream, 'T1_RESULTS');
    assert.equal(resultMessageId(RUN, 2), `${RUN}:2`);
  });

  it('refuses a run id that would change the subject', () => {
    const s = natsSubjects();
    for (const bad of ['a.b', '*', '>', 'a b', '']) assert.throws(() => s.run(bad, 'log'), /cannot be a NATS subject token/);
  });
});
