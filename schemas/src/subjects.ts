// The NATS names agents and controllers share, in one place. Logs, progress, heartbeats, `started` and
// control go over core NATS (losing one costs little); results go to a JetStream stream that a durable
// work-queue consumer drains, so a result waits there until a controller has committed it.
import type { AgentMessage } from './messages.js';

export const DEFAULT_SUBJECT_PREFIX = 'ar';

/** The message types that travel over core NATS, one subject each per run. */
export type CoreMessageType = Exclude<AgentMessage['type'], 'result'>;
export const CORE_MESSAGE_TYPES: readonly CoreMessageType[] = ['log', 'progress', 'heartbeat', 'started'];

/** A run id used as one subject token: no separator, wildcard or whitespace (UUIDs always qualify). */
const SAFE_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export class InvalidSubjectTokenError extends Error {
  readonly code = 'INVALID_SUBJECT_TOKEN';
  constructor(what: string, value: string) {
    super(`${what} ${JSON.stringify(value)} cannot be a NATS subject token: use letters, digits, '_' or '-'`);
    this.name = 'InvalidSubjectTokenError';
  }
}

export function isSafeSubjectToken(value: string): boolean {
  return SAFE_TOKEN.test(value);
}

function token(what: string, value: string): string {
  if (!isSafeSubjectToken(value)) throw new InvalidSubjectTokenError(what, value);
  return value;
}

/** The JetStream settings the controller creates (idempotently) at start. */
export const RESULTS_STREAM = {
  name: 'AR_RESULTS',
  durable: 'controller',
  /** A result unacknowledged this long (the controller died mid-commit) is delivered again. */
  ackWaitMs: 30_000,
  /** JetStream drops a second publish with the same msgID (runId:attempt) within this window. */
  duplicateWindowMs: 60 * 60 * 1000,
} as const;

export interface Subjects {
  readonly prefix: string;
  /** `ar.run.<runId>.<type>`: one run's core messages. */
  run(runId: string, type: CoreMessageType): string;
  /** `ar.run.*.*`: what controllers subscribe to (in a queue group). */
  readonly allRuns: string;
  /** `ar.control.<runId>`: what the run's agent subscribes to. */
  control(runId: string): string;
  /** `ar.result.<runId>`: the run's result, published to the results stream. */
  result(runId: string): string;
  /** `ar.result.>`: the results stream's subjects. */
  readonly allResults: string;
  /** The stream name: AR_RESULTS with the default prefix, `<PREFIX>_RESULTS` otherwise. */
  readonly resultsStream: string;
  /** Parses `ar.run.<runId>.<type>`; null for anything else. */
  parseRun(subject: string): { runId: string; type: CoreMessageType } | null;
  /** Parses `ar.result.<runId>`; null for anything else. */
  parseResult(subject: string): { runId: string } | null;
}

/** A prefix lets several installations (or test suites) share one NATS server without seeing each other. */
export function natsSubjects(prefix: string = DEFAULT_SUBJECT_PREFIX): Subjects {
  token('the subject prefix', prefix);
  const resultsStream = prefix === DEFAULT_SUBJECT_PREFIX ? RESULTS_STREAM.name : `${prefix.toUpperCase().replace(/-/g, '_')}_RESULTS`;
  return {
    prefix,
    run: (runId, type) => `${prefix}.run.${token('the run id', runId)}.${type}`,
    allRuns: `${prefix}.run.*.*`,
    control: (runId) => `${prefix}.control.${token('the run id', runId)}`,
    result: (runId) => `${prefix}.result.${token('the run id', runId)}`,
    allResults: `${prefix}.result.>`,
    resultsStream,
    parseRun(subject) {
      const parts = subject.split('.');
      if (parts.length !== 4 || parts[0] !== prefix || parts[1] !== 'run') return null;
      const [, , runId, type] = parts as [string, string, string, string];
      if (!(CORE_MESSAGE_TYPES as readonly string[]).includes(type)) return null;
      return { runId, type: type as CoreMessageType };
    },
    parseResult(subject) {
      const parts = subject.split('.');
      if (parts.length !== 3 || parts[0] !== prefix || parts[1] !== 'result') return null;
      return { runId: parts[2] as string };
    },
  };
}

/** JetStream's dedupe key for a result: a retried publish of the same attempt is stored once. */
export function resultMessageId(runId: string, attempt: number): string {
  return `${runId}:${attempt}`;
}
