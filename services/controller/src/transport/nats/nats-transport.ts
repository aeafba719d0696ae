// Distributed mode: agents report over NATS. Core subjects (logs, progress, heartbeats, started) are
// received in the queue group `controllers`, so with several controllers each message is recorded once;
// results are pulled from the durable work-queue consumer and acknowledged only after the handler
// resolved, that is after the database commit. Every payload is checked (schema, subject, MAC) and a bad
// one is dropped, logged and counted, never thrown. NATS going away only pauses all this: the connection
// reconnects forever, and the pull loop starts over whenever its consumer goes missing.
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { AgentMessage, ControlMessage } from '../../../../../schemas/src/messages.js';
import { natsSubjects, RESULTS_STREAM, type CoreMessageType, type Subjects } from '../../../../../schemas/src/subjects.js';
import type { AgentMessageHandler, ControllerTransport } from '../controller-transport.js';
import { parseEnvelope } from './parse-envelope.js';
import { ensureResultsStream } from './results-stream.js';
import { RunLanes, type PendingMessage } from './run-lanes.js';

/** What the transport logs through; a pino Logger fits. */
export interface TransportLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface NatsControllerTransportOptions {
  servers: string | string[];
  prefix?: string;
  /** True when `envelopeMac` is the run token's MAC of `message` (see createRunTokenAuthenticator). */
  authenticate: (message: AgentMessage, envelopeMac: string) => Promise<boolean>;
  log: TransportLog;
  onRejected?: (reason: string, subject: string) => void;
  /** Results handled at the same time (each is one database transaction). Default 64. */
  maxResultsInFlight?: number;
  /** Wait before a result whose handler failed is delivered again. Default: 1 s doubling to 30 s. */
  nakDelayMs?: (deliveryCount: number) => number;
  /** Core messages waiting for the database, over all runs, beyond which new ones are dropped. Default 100,000. */
  maxPendingCore?: number;
  reconnectTimeWaitMs?: number;
  name?: string;
}

const QUEUE_GROUP = 'controllers';
/** Tries to record a core message (250 ms, 1 s, 4 s apart) before it is given up. */
const CORE_WRITE_ATTEMPTS = 4;
const defaultNakDelay = (deliveryCount: number) => Math.min(1_000 * 2 ** Math.max(0, deliveryCount - 1), 30_000);

export class NatsControllerTransport implements ControllerTransport {
  readonly kind = 'nats';
  readonly subjects: Subjects;
  private readonly options: NatsControllerTransportOptions;
  private readonly lanes: RunLanes;
  private handler: AgentMessageHandler | null = null;
  private handlerSet!: () => void;
  private readonly handlerReady = new Promise<void>((resolve) => (this.handlerSet = resolve));
  private readonly connection: Promise<NatsConnection>;
  private readonly started: Promise<void>;
  private nc: NatsConnection | null = null;
  private jsm: JetStreamManager | null = null;
  private subscription: Subscription | null = null;
  private consuming: ConsumerMessages | null = null;
  private pullLoop: Promise<void> = Promise.resolve();
  private closing = false;
  private rejected = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slotWaiters: Array<() => void> = [];

  constructor(options: NatsControllerTransportOptions) {
    this.options = options;
    this.subjects = natsSubjects(options.prefix);
    this.lanes = new RunLanes(
      (pending) => this.authenticateCore(pending),
      (message) => this.handleCore(message),
    );
    // A controller must start (and serve its API) with NATS down: connect in the background, forever.
    this.connection = connect({
      servers: options.servers,
      name: options.name ?? 'autoresearch-controller',
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 1_000,
    });
    this.started = this.start();
    this.started.catch((error: Error) => options.log.error({ err: error }, 'the NATS transport could not start'));
  }

  /** Resolves once connected, the results stream exists, and messages flow to the handler. */
  ready(): Promise<void> {
    return this.started;
  }

  onMessage(handler: AgentMessageHandler): void {
    this.handler = handler;
    this.handlerSet();
  }

  /** Payloads dropped so far: not JSON, wrong schema or subject, wrong MAC, or shed under overload. */
  rejectedCount(): number {
    return this.rejected;
  }

  async sendControl(message: ControlMessage): Promise<void> {
    const nc = await this.connection;
    // Core NATS: while reconnecting the client buffers it. An agent that misses a stop still has its budget.
    nc.publish(this.subjects.control(message.runId), JSON.stringify(message));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.handlerSet();
    const nc = this.nc;
    if (nc === null) {
      // Never connected: the connect loop is still trying; close what it eventually returns.
      void this.connection.then((late) => late.close()).catch(() => {});
      return;
    }
    await this.subscription?.drain().catch(() => {});
    await this.consuming?.close().catch(() => {});
    await this.pullLoop;
    // Results being handled still get their ack (or nak) before the connection goes.
    await Promise.all([...this.inFlight]);
    await this.lanes.idle();
    await nc.drain().catch(() => {});
  }

  private async start(): Promise<void> {
    const nc = await this.connection;
    if (this.closing) return;
    this.nc = nc;
    void this.watchStatus(nc);
    const maxInFlight = this.options.maxResultsInFlight ?? 64;
    await this.ensureStream(nc, maxInFlight);
    await this.handlerReady;
    if (this.closing) return;
    this.subscription = nc.subscribe(this.subjects.allRuns, {
      queue: QUEUE_GROUP,
      callback: (error, msg) => {
        if (error) this.options.log.warn({ err: error }, 'NATS subscription error');
        else this.receiveCore(msg);
      },
    });
    const js = jetstream(nc);
    this.jsm = await jetstreamManager(nc);
    let firstConsume!: () => void;
    const consuming = new Promise<void>((resolve) => (firstConsume = resolve));
    this.pullLoop = this.pullResults(nc, js, maxInFlight, firstConsume);
    await Promise.race([consuming, this.pullLoop]);
  }

  /** Retries until it works: JetStream may be briefly unavailable while the server starts. */
  private async ensureStream(nc: NatsConnection, maxInFlight: number): Promise<void> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        await ensureResultsStream(await jetstreamManager(nc), this.subjects, Math.max(1_000, maxInFlight * 4));
        return;
      } catch (error) {
        if (this.closing) return;
        this.options.log.warn({ err: error, retryInMs: delay }, 'cannot set up the results stream yet');
        await sleep(delay);
      }
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.options.log.warn({ server: status.server }, 'NATS disconnected; reconnecting');
      else if (status.type === 'reconnect') this.options.log.info({ server: status.server }, 'NATS reconnected');
      else if (status.type === 'error') this.options.log.warn({ err: status.error }, 'NATS error');
    }
  }

  // Core messages: logs, progress, heartbeats, started.

  private receiveCore(msg: Msg): void {
    const target = this.subjects.parseRun(msg.subject);
    if (target === null) return this.reject(`unexpected subject`, msg.subject);
    const parsed = parseEnvelope(msg.data, target);
    if (!parsed.ok) return this.reject(parsed.reason, msg.subject);
    if (this.lanes.size() >= (this.options.maxPendingCore ?? 100_000)) {
      return this.reject('overloaded: too many messages waiting for the database', msg.subject);
    }
    this.lanes.push(target.runId, { ...parsed.envelope, subject: msg.subject });
  }

  private async authenticateCore(pending: PendingMessage): Promise<boolean> {
    try {
      if (await this.options.authenticate(pending.message, pending.mac)) return true;
      this.reject('bad MAC: not signed with the token of this run and attempt', pending.subject);
    } catch (error) {
      this.reject(`could not authenticate: ${(error as Error).message}`, pending.subject);
    }
    return false;
  }

  /**
   * Core messages are not redelivered by NATS, so a failed write (the database away for a moment) is
   * retried here with backoff before the message is given up, logged and counted.
   */
  private async handleCore(message: AgentMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handler?.(message);
        return;
      } catch (error) {
        if (attempt >= CORE_WRITE_ATTEMPTS || this.closing) {
          this.options.log.warn({ err: error, runId: message.runId, attempt: message.attempt, type: message.type }, 'handling an agent message failed');
          this.reject(`not recorded after ${attempt} tries: ${(error as Error).message}`, this.subjects.run(message.runId, message.type as CoreMessageType));
          return;
        }
        await sleep(250 * 4 ** (attempt - 1));
      }
    }
  }

  // Results: pulled from the durable consumer, acked after the handler resolved.

  private async pullResults(nc: NatsConnection, js: JetStreamClient, maxInFlight: number, started: () => void): Promise<void> {
    for (let delay = 250; !this.closing; ) {
      try {
        const consumer = await js.consumers.get(this.subjects.resultsStream, RESULTS_STREAM.durable);
        const messages = await consumer.consume({ max_messages: maxInFlight });
        this.consuming = messages;
        void this.watchConsumer(nc, messages, maxInFlight);
        started();
        delay = 250;
        for await (const m of messages) {
          await this.acquireSlot(maxInFlight);
          const handling = this.handleResult(m).finally(() => {
            this.inFlight.delete(handling);
            this.slotWaiters.shift()?.();
          });
          this.inFlight.add(handling);
        }
      } catch (error) {
        if (this.closing) break;
        this.options.log.warn({ err: error, retryInMs: delay }, 'pulling results failed; starting over');
      }
      if (this.closing) break;
      await sleep(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  /** A stream lost with the server's store, or a deleted consumer, is recreated, then consuming starts over. */
  private async watchConsumer(nc: NatsConnection, messages: ConsumerMessages, maxInFlight: number): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_not_found' || status.type === 'stream_not_found' || status.type === 'consumer_deleted') {
        this.options.log.warn({ status: status.type }, 'the results consumer is missing; recreating it');
        await this.ensureStream(nc, maxInFlight);
        messages.stop();
        return;
      }
    }
  }

  private async acquireSlot(maxInFlight: number): Promise<void> {
    while (this.inFlight.size >= maxInFlight) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  private async handleResult(m: JsMsg): Promise<void> {
    const target = this.subjects.parseResult(m.subject);
    const parsed = target === null ? ({ ok: false, reason: 'unexpected subject' } as const) : parseEnvelope(m.data, { ...target, type: 'result' });
    if (!parsed.ok) return this.discardResult(m, parsed.reason);
    const { message, mac } = parsed.envelope;
    let authentic: boolean;
    try {
      authentic = await this.options.authenticate(message, mac);
    } catch (error) {
      // The database may be down: that is no reason to lose the result. Try again later.
      this.nakLater(m, error, 'could not authenticate the result');
      return;
    }
    if (!authentic) return this.discardResult(m, 'bad MAC: not signed with the token of this run and attempt');
    // The run's last logs and progress, already received, are recorded before its result.
    await this.lanes.settled(message.runId, 5_000);
    try {
      if (this.handler === null) throw new Error('no handler');
      await this.handler(message);
    } catch (error) {
      this.nakLater(m, error, 'recording the result failed');
      return;
    }
    m.ack();
  }

  /**
   * term(): a payload that is wrong now is wrong on every redelivery. nats-server 2.9 keeps a termed
   * message in a work-queue stream (later versions remove it), so it is also deleted by sequence.
   */
  private discardResult(m: JsMsg, reason: string): void {
    m.term(reason.slice(0, 200));
    void this.jsm?.streams.deleteMessage(this.subjects.resultsStream, m.seq, false).catch(() => {});
    this.reject(reason, m.subject);
  }

  private nakLater(m: JsMsg, error: unknown, what: string): void {
    const deliveryCount = m.info.deliveryCount;
    const delay = (this.options.nakDelayMs ?? defaultNakDelay)(deliveryCount);
    this.options.log.warn({ err: error, subject: m.subject, deliveryCount, retryInMs: delay }, `${what}; it will be delivered again`);
    m.nak(delay);
  }

  private reject(reason: string, subject: string): void {
    this.rejected++;
    this.options.log.warn({ subject, reason }, 'dropped an agent message');
    this.options.onRejected?.(reason, subject);
  }
}
