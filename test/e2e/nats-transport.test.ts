// The NATS transport, both sides, against a real nats-server with JetStream (its own port and store):
// signed messages, results acked only after the handler, durability while no controller runs, an outage
// in the middle of a publish, bad payloads, control messages, and two controllers sharing the consumer.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sha256Hex, signAgentMessage } from '../../schemas/src/message-mac.js';
import type { AgentMessage, ControlMessage, ResultMessage } from '../../schemas/src/messages.js';
import { natsSubjects } from '../../schemas/src/subjects.js';
import { createNatsTransport, type NatsAgentTransport } from '../../services/agent/src/transport/nats-transport.js';
import { NatsControllerTransport, type TransportLog } from '../../services/controller/src/transport/nats/nats-transport.js';
import { createRunTokenAuthenticator } from '../../services/controller/src/transport/nats/run-token-authenticator.js';
import { startNatsServer, type TestNatsServer } from '../support/nats-server.js';

let nats: TestNatsServer;
let workRoot: string;
const open: Array<{ close(): Promise<void> }> = [];
/** Run id → token hash, as the runs table holds them. */
const tokenHashes = new Map<string, string>();
const authenticate = createRunTokenAuthenticator(async (runId) => {
  const tokenHash = tokenHashes.get(runId);
  return tokenHash === undefined ? null : { attempt: 1, tokenHash };
});
const quiet: TransportLog = { info() {}, warn() {}, error() {} };

before(async () => {
  nats = await startNatsServer();
  workRoot = await mkdtemp(join(tmpdir(), 'nats-agent-'));
});
after(async () => {
  for (const closable of open.splice(0).reverse()) await closable.close().catch(() => {});
  await nats.dispose();
  await rm(workRoot, { recursive: true, force: true });
});

function newRun(): { runId: string; token: string } {
  const runId = randomUUID();
  const token = `token-${randomUUID()}`;
  tokenHashes.set(runId, sha256Hex(token));
  return { runId, token };
}

async function startController(
  prefix: string,
  handler: (message: AgentMessage) => Promise<void>,
  options: { maxResultsInFlight?: number; rejected?: string[] } = {},
): Promise<NatsControllerTransport> {
  const controller = new NatsControllerTransport({
    servers: nats.url,
    prefix,
    authenticate,
    log: quiet,
    onRejected: (reason) => options.rejected?.push(reason),
    nakDelayMs: () => 100,
    reconnectTimeWaitMs: 200,
    ...(options.maxResultsInFlight !== undefined && { maxResultsInFlight: options.maxResultsInFlight }),
  });
  controller.onMessage(handler);
  open.push(controller);
  await controller.ready();
  return controller;
}

function startAgent(prefix: string, run: { runId: string; token: string }, root = workRoot): NatsAgentTransport {
  const agent = createNatsTransport({
    servers: nats.url,
    runId: run.runId,
    token: run.token,
    workRoot: root,
    prefix,
    warn: () => {},
    retry: { initialDelayMs: 100, maxDelayMs: 500 },
    reconnectTimeWaitMs: 200,
    publishTimeoutMs: 1_000,
  });
  open.push(agent);
  return agent;
}

function resultOf(runId: string, overrides: Partial<ResultMessage> = {}): ResultMessage {
  return {
    type: 'result',
    runId,
    attempt: 1,
    status: 'succeeded',
    exitCode: 0,
    signal: null,
    startedAt: 1_000,
    finishedAt: 2_000,
    peakMemoryMb: 10,
    metrics: { val_bpb: 0.99 },
    logTail: ['val_bpb: 0.99'],
    ...overrides,
  };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function streamMessages(prefix: string): Promise<number> {
  const nc = await connect({ servers: nats.url });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(natsSubjects(prefix).resultsStream);
    return info.state.messages;
  } finally {
    await nc.close();
  }
}

describe('NATS transport', () => {
  it('carries a signed message from the agent transport to the controller handler', async () => {
    const received: AgentMessage[] = [];
    const controller = await startController('t1', async (message) => void received.push(message));
    const run = newRun();
    const agent = startAgent('t1', run);
    await agent.send({ type: 'started', runId: run.runId, attempt: 1, ts: Date.now(), host: 'h' });
    await agent.send({ type: 'log', runId: run.runId, attempt: 1, lines: [{ ts: 1, stream: 'stdout', line: 'hello' }] });
    await agent.send({ type: 'progress', runId: run.runId, attempt: 1, points: [{ name: 'loss', value: 1.5, step: 1, ts: 2 }] });
    await until(() => received.length >= 3, 5_000, 'three messages');
    assert.deepEqual(
      received.map((m) => m.type),
      ['started', 'log', 'progress'],
    );
    assert.equal(controller.rejectedCount(), 0);
  });

  it('acks a result only after the handler resolved: two failures, then success, delivered 3 times, ingested once', async () => {
    const ingested = new Set<string>();
    let deliveries = 0;
    await startController('t2', async (message) => {
      if (message.type !== 'result') return;
      deliveries++;
      if (deliveries <= 2) throw new Error(`database unavailable (delivery ${deliveries})`);
      ingested.add(`${message.runId}:${message.attempt}`);
    });
    const run = newRun();
    const agent = startAgent('t2', run);
    await agent.send(resultOf(run.runId));
    await until(() => ingested.size === 1, 10_000, 'the result to be ingested');
    await sleep(500);
    assert.equal(deliveries, 3);
    assert.deepEqual([...ingested], [`${run.runId}:1`]);
    assert.equal(await streamMessages('t2'), 0, 'acked and removed from the work queue');
    assert.equal(existsSync(join(workRoot, 'outbox', `${run.runId}-1.json`)), false, 'outbox file removed after the PubAck');
  });

  it('retries recording a log line while the database is away, so it is not lost', async () => {
    const recorded: string[] = [];
    let tries = 0;
    const rejected: string[] = [];
    const controller = await startController('t8', async (message) => {
      if (message.type !== 'log') return;
      tries++;
      if (tries <= 2) throw new Error(`database unavailable (try ${tries})`);
      recorded.push(...message.lines.map((l) => l.line));
    }, { rejected });
    const run = newRun();
    const agent = startAgent('t8', run);
    await agent.send({ type: 'log', runId: run.runId, attempt: 1, lines: [{ ts: 1, stream: 'stdout', line: 'kept' }] });
    await until(() => recorded.length === 1, 10_000, 'the log line to be recorded');
    assert.equal(tries, 3);
    assert.deepEqual(recorded, ['kept']);
    assert.equal(controller.rejectedCount(), 0);
    assert.deepEqual(rejected, []);
  });

  it('keeps a result published while no controller runs, and delivers it when one starts', async () => {
    const first = await startController('t3', async () => {});
    await first.close();
    const run = newRun();
    const agent = startAgent('t3', run);
    await agent.send(resultOf(run.runId));
    assert.equal(await streamMessages('t3'), 1);
    const received: AgentMessage[] = [];
    await startController('t3', async (message) => void received.push(message));
    await until(() => received.length === 1, 5_000, 'the stored result');
    assert.equal(received[0]?.runId, run.runId);
  });

  it('delivers a result exactly once through a 5 s NATS outage (stopped and restarted on the same port and store)', async () => {
    const received: AgentMessage[] = [];
    await startController('t4', async (message) => void received.push(message));
    const run = newRun();
    const root = await mkdtemp(join(tmpdir(), 'nats-outage-'));
    const agent = startAgent('t4', run, root);
    await agent.send({ type: 'started', runId: run.runId, attempt: 1, ts: Date.now(), host: 'h' });
    await until(() => received.length === 1, 5_000, 'started');

    await nats.stop();
    let settled = false;
    const sending = agent.send(resultOf(run.runId)).finally(() => (settled = true));
    await sleep(1_000);
    assert.equal(settled, false, 'send waits for the PubAck');
    assert.deepEqual(await readdir(join(root, 'outbox')), [`${run.runId}-1.json`], 'the result is on disk meanwhile');
    await sleep(4_000);
    await nats.restart();
    await sending;
    await until(() => received.some((m) => m.type === 'result'), 15_000, 'the result after the restart');
    await sleep(1_500);
    assert.equal(received.filter((m) => m.type === 'result').length, 1);
    assert.deepEqual(await readdir(join(root, 'outbox')), []);
    await rm(root, { recursive: true, force: true });
  });

  it('drops and counts bad payloads, with a reason, and keeps working', async () => {
    const received: AgentMessage[] = [];
    const rejected: string[] = [];
    const controller = await startController('t5', async (message) => void received.push(message), { rejected });
    const run = newRun();
    const s = natsSubjects('t5');
    const nc = await connect({ servers: nats.url });
    open.push(nc);
    const js = jetstream(nc);
    const started = { type: 'started', runId: run.runId, attempt: 1, ts: 1, host: 'h' } as const;
    nc.publish(s.run(run.runId, 'log'), 'not json {');
    nc.publish(s.run(run.runId, 'log'), JSON.stringify({ message: { type: 'log', runId: run.runId }, mac: '0'.repeat(64) }));
    nc.publish(s.run(run.runId, 'started'), JSON.stringify(signAgentMessage(started, 'the wrong token')));
    nc.publish(s.run(randomUUID(), 'started'), JSON.stringify(signAgentMessage(started, run.token)));
    await js.publish(s.result(run.runId), JSON.stringify(signAgentMessage(resultOf(run.runId), 'the wrong token')));
    await js.publish(s.result(run.runId), 'garbage');
    await until(() => controller.rejectedCount() === 6, 5_000, 'six rejections');
    assert.match(rejected.join('\n'), /not JSON/);
    assert.match(rejected.join('\n'), /not a signed agent message/);
    assert.match(rejected.join('\n'), /bad MAC/);
    assert.match(rejected.join('\n'), /on the subject of run/);
    assert.equal(received.length, 0);
    await sleep(300);
    assert.equal(await streamMessages('t5'), 0, 'bad results are terminated, not redelivered');

    const agent = startAgent('t5', run);
    await agent.send(started);
    await agent.send(resultOf(run.runId));
    await until(() => received.length === 2, 5_000, 'the good messages after the bad ones');
    assert.equal(controller.rejectedCount(), 6);
  });

  it('brings a control message to the agent within 1 s', async () => {
    const received: AgentMessage[] = [];
    const controller = await startController('t6', async (message) => void received.push(message));
    const run = newRun();
    const agent = startAgent('t6', run);
    const controls: Array<{ message: ControlMessage; at: number }> = [];
    agent.onControl((message) => controls.push({ message, at: Date.now() }));
    await agent.send({ type: 'heartbeat', runId: run.runId, attempt: 1, ts: 1 });
    await until(() => received.length === 1, 5_000, 'the agent to be connected');
    const sentAt = Date.now();
    await controller.sendControl({ type: 'control', runId: run.runId, attempt: 1, action: 'stop', reason: 'test' });
    await until(() => controls.length === 1, 1_000, 'the control message');
    assert.equal(controls[0]?.message.action, 'stop');
    assert.ok(controls[0]!.at - sentAt < 1_000);
  });

  it('shares results between two controllers on the one consumer: each handled by exactly one', async () => {
    const handledBy = new Map<string, string[]>();
    const record = (who: string) => async (message: AgentMessage) => {
      if (message.type !== 'result') return;
      await sleep(20);
      handledBy.set(message.runId, [...(handledBy.get(message.runId) ?? []), who]);
    };
    await startController('t7', record('a'), { maxResultsInFlight: 2 });
    await startController('t7', record('b'), { maxResultsInFlight: 2 });
    const runs = Array.from({ length: 30 }, () => newRun());
    const agents = runs.map((run) => startAgent('t7', run));
    await Promise.all(agents.map((agent, i) => agent.send(resultOf(runs[i]!.runId))));
    await until(() => handledBy.size === runs.length, 15_000, 'every result');
    await sleep(500);
    for (const run of runs) assert.equal(handledBy.get(run.runId)?.length, 1, `run ${run.runId} handled once`);
    const counts = [...handledBy.values()].flat().reduce((acc, who) => ({ ...acc, [who]: (acc[who] ?? 0) + 1 }), {} as Record<string, number>);
    assert.ok((counts.a ?? 0) > 0 && (counts.b ?? 0) > 0, `both controllers took results: ${JSON.stringify(counts)}`);
  });
});
