// The distributed transport: NATS. Logs, progress, heartbeats and `started` are published on core NATS,
// fire and forget (the agent already batches them; losing a few costs little). The result goes to
// JetStream and counts as sent only once JetStream acknowledged it: it is written to the outbox first,
// retried with backoff through any NATS outage, and left on disk if the give-up time passes. Every message
// is signed with the run token (schemas/src/message-mac.ts); the token itself never leaves the agent.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sha256Hex, signAgentMessageWithHash } from '../../../../schemas/src/message-mac.js';
import { ControlMessage, type AgentMessage, type ResultMessage } from '../../../../schemas/src/messages.js';
import { natsSubjects, resultMessageId } from '../../../../schemas/src/subjects.js';
import { TransportClosedError } from '../errors.js';
import { ResultOutbox, retryUntilDone, type OutboxEntry, type RetryPolicy } from './result-outbox.js';
import type { AgentTransport } from './transport.js';

const checkControl = TypeCompiler.Compile(ControlMessage);
const encoder = new TextEncoder();

export interface NatsAgentTransportOptions {
  servers: string | string[];
  runId: string;
  token: string;
  /** The outbox lives in `<workRoot>/outbox`. */
  workRoot: string;
  prefix?: string;
  warn: (problem: string) => void;
  /** How long a result may wait for JetStream before the agent gives up and exits leaving it on disk. */
  resultGiveUpMs?: number;
  /** How long one publish waits for its PubAck. */
  publishTimeoutMs?: number;
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  reconnectTimeWaitMs?: number;
}

export const DEFAULT_RESULT_GIVE_UP_MS = 60 * 60 * 1000;
/** Core messages sent before the first connection are held, up to this many, then the oldest dropped. */
const MAX_EARLY_MESSAGES = 1000;

export interface NatsAgentTransport extends AgentTransport {
  /** Resolves once results left in the outbox by earlier agents were delivered (or given up on). */
  leftoversDelivered(): Promise<void>;
}

export function createNatsTransport(options: NatsAgentTransportOptions): NatsAgentTransport {
  const { runId, warn } = options;
  const subjects = natsSubjects(options.prefix);
  const tokenHash = sha256Hex(options.token);
  const outbox = ResultOutbox.forWorkRoot(options.workRoot);
  const giveUpMs = options.resultGiveUpMs ?? DEFAULT_RESULT_GIVE_UP_MS;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const retryDelays = { initialDelayMs: options.retry?.initialDelayMs ?? 500, maxDelayMs: options.retry?.maxDelayMs ?? 30_000 };
  const startedAt = Date.now();

  let closing = false;
  let closedForGood: string | null = null;
  let nc: NatsConnection | null = null;
  let js: JetStreamClient | null = null;
  const early: Array<{ subject: string; data: Uint8Array }> = [];
  const controlHandlers: Array<(message: ControlMessage) => void> = [];
  const earlyControl: ControlMessage[] = [];
  const lostHandlers: Array<(reason: string) => void> = [];
  const stopRetrying = new AbortController();

  // NATS may be down when the agent starts: keep trying in the background, forever, while the run goes on.
  const connection = connect({
    servers: options.servers,
    name: `autoresearch-agent-${runId}`,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 1_000,
  }).then((connected) => {
    if (closing) {
      void connected.close();
      return connected;
    }
    nc = connected;
    js = jetstream(connected, { timeout: publishTimeoutMs });
    connected.subscribe(subjects.control(runId), { callback: (error, msg) => (error ? warn(`control subscription: ${error.message}`) : onControl(msg.data)) });
    for (const message of early.splice(0)) connected.publish(message.subject, message.data);
    void connected.closed().then((error) => {
      closedForGood = error ? error.message : 'the NATS connection closed';
      if (closing) return;
      for (const handler of lostHandlers) handler(`NATS connection closed for good: ${closedForGood}`);
    });
    return connected;
  });
  connection.catch((error: Error) => warn(`cannot connect to NATS: ${error.message}`));

  function onControl(data: Uint8Array): void {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(data));
    } catch {
      warn('ignored a control message that is not JSON');
      return;
    }
    if (!checkControl.Check(raw)) {
      const first = checkControl.Errors(raw).First();
      warn(`ignored a message from the controller that is not a control message (${first ? `${first.path}: ${first.message}` : 'invalid'})`);
      return;
    }
    if (controlHandlers.length === 0) earlyControl.push(raw);
    for (const handler of controlHandlers) handler(raw);
  }

  async function connectedWithin(ms: number): Promise<JetStreamClient> {
    if (js) return js;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        connection,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`NATS at ${String(options.servers)} is not reachable yet`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (!js) throw new Error('the NATS connection is closing');
    return js;
  }

  /** Publishes one outbox entry until JetStream acknowledges it, then removes the file. */
  function deliver(entry: OutboxEntry, policy: RetryPolicy): Promise<boolean> {
    const { message } = entry.envelope;
    const data = encoder.encode(JSON.stringify(entry.envelope));
    return retryUntilDone(
      async () => {
        const client = await connectedWithin(publishTimeoutMs);
        await client.publish(subjects.result(message.runId), data, {
          msgID: resultMessageId(message.runId, message.attempt),
          timeout: publishTimeoutMs,
        });
        await outbox.remove(entry);
      },
      policy,
      (error, nextDelayMs) =>
        warn(`result of run ${message.runId} attempt ${message.attempt} not acknowledged yet (${error.message}); retrying in ${Math.round(nextDelayMs)} ms`),
      stopRetrying.signal,
    );
  }

  // Results an earlier agent with this work root could not deliver.
  const leftovers = (async () => {
    const entries = await outbox.list(warn);
    await Promise.all(
      entries.map(async (entry) => {
        const { runId: other, attempt } = entry.envelope.message;
        const ok = await deliver(entry, { ...retryDelays, deadline: startedAt + giveUpMs });
        if (ok) warn(`delivered the result of run ${other} attempt ${attempt} left in the outbox by an earlier agent`);
        else warn(`could not deliver the result left in ${entry.path}; leaving it`);
      }),
    );
  })().catch((error: Error) => warn(`cannot read the outbox ${outbox.dir}: ${error.message}`));

  async function sendResult(message: ResultMessage): Promise<void> {
    const entry = await outbox.put(signAgentMessageWithHash(message, tokenHash) as OutboxEntry['envelope']);
    const ok = await deliver(entry, { ...retryDelays, deadline: Date.now() + giveUpMs });
    if (!ok) {
      throw new TransportClosedError(
        `JetStream did not acknowledge the result within ${Math.round(giveUpMs / 1000)} s; it is left in ${entry.path} for the next agent`,
      );
    }
  }

  return {
    async send(message: AgentMessage) {
      if (closedForGood !== null) throw new TransportClosedError(`the NATS connection is closed: ${closedForGood}`);
      if (message.type === 'result') return sendResult(message);
      const subject = subjects.run(message.runId, message.type);
      const data = encoder.encode(JSON.stringify(signAgentMessageWithHash(message, tokenHash)));
      if (nc === null) {
        if (early.length >= MAX_EARLY_MESSAGES) early.shift();
        early.push({ subject, data });
        return;
      }
      try {
        // While reconnecting, the client buffers this and sends it once it is back.
        nc.publish(subject, data);
      } catch (error) {
        throw new TransportClosedError((error as Error).message);
      }
    },
    onControl(handler) {
      controlHandlers.push(handler);
      for (const message of earlyControl.splice(0)) handler(message);
    },
    onLost(handler) {
      lostHandlers.push(handler);
    },
    leftoversDelivered: () => leftovers,
    async close() {
      // Earlier agents' results get the rest of their give-up time; this agent's own result is already settled.
      await leftovers;
      closing = true;
      stopRetrying.abort();
      const connected = nc;
      if (connected === null || connected.isClosed()) return;
      let timer: NodeJS.Timeout | undefined;
      // drain() flushes what is still buffered; with the server gone it could wait for a reconnect forever.
      await Promise.race([connected.drain().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      if (!connected.isClosed()) await connected.close().catch(() => {});
    },
  };
}
