// Builds the agent's messages for one run and checks each against the AgentMessage schema before it
// leaves: the controller drops anything invalid, so an invalid message here is a bug worth failing on.
import { hostname } from 'node:os';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AgentMessage, type LogLine, type MetricPoint, type ResultMessage } from '../../../schemas/src/messages.js';
import { AgentError } from './errors.js';
import type { AgentTransport } from './transport/transport.js';

const checkMessage = TypeCompiler.Compile(AgentMessage);
const MAX_REASON = 2000;

export type ResultBody = Omit<ResultMessage, 'type' | 'runId' | 'attempt'>;

export interface RunReporter {
  started(): Promise<void>;
  heartbeat(): Promise<void>;
  log(lines: LogLine[]): Promise<void>;
  progress(points: MetricPoint[]): Promise<void>;
  result(body: ResultBody): Promise<ResultMessage>;
}

export function createReporter(transport: AgentTransport, run: { runId: string; attempt: number }): RunReporter {
  const ref = { runId: run.runId, attempt: run.attempt };
  const send = async <T extends AgentMessage>(message: T): Promise<T> => {
    const type = message.type;
    if (!checkMessage.Check(message)) {
      const first = checkMessage.Errors(message).First();
      throw new AgentError('INVALID_MESSAGE', `refusing to send an invalid ${type} message: ${first ? `${first.path}: ${first.message}` : 'invalid'}`);
    }
    await transport.send(message);
    return message;
  };
  return {
    started: async () => void (await send({ type: 'started', ...ref, ts: Date.now(), host: hostname() })),
    heartbeat: async () => void (await send({ type: 'heartbeat', ...ref, ts: Date.now() })),
    log: async (lines) => void (await send({ type: 'log', ...ref, lines })),
    progress: async (points) => void (await send({ type: 'progress', ...ref, points })),
    result: (body) => {
      const message: ResultMessage = { type: 'result', ...ref, ...body };
      if (message.reason === undefined) delete message.reason;
      else if (message.reason.length > MAX_REASON) message.reason = `${message.reason.slice(0, MAX_REASON - 1)}…`;
      return send(message);
    },
  };
}
