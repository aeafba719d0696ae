// Embedded mode: agents are child processes and report over their IPC channel.
import type { ChildProcess } from 'node:child_process';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AgentMessage, type ControlMessage } from '../../../../schemas/src/messages.js';
import type { AgentMessageHandler, ControllerTransport } from './controller-transport.js';

const checkAgentMessage = TypeCompiler.Compile(AgentMessage);

export class EmbeddedTransport implements ControllerTransport {
  readonly kind = 'embedded';
  private handler: AgentMessageHandler | null = null;
  private readonly channels = new Map<string, ChildProcess>();
  /** Messages of one run are handled strictly in order, so a result is never recorded before its last log lines. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly onInvalidMessage: (runId: string, problem: string) => void) {}

  onMessage(handler: AgentMessageHandler): void {
    this.handler = handler;
  }

  /** Called by the local executor for each agent it forks with an IPC channel. */
  attach(runId: string, child: ChildProcess): void {
    this.channels.set(runId, child);
    child.on('message', (raw: unknown) => {
      if (!checkAgentMessage.Check(raw)) {
        const first = checkAgentMessage.Errors(raw).First();
        this.onInvalidMessage(runId, first ? `${first.path}: ${first.message}` : 'not an agent message');
        return;
      }
      if (raw.runId !== runId) {
        this.onInvalidMessage(runId, `message for run ${raw.runId} arrived on the channel of run ${runId}`);
        return;
      }
      this.enqueue(runId, raw);
    });
    child.once('exit', () => this.channels.delete(runId));
  }

  /** Resolves once every message received so far from this run has been handled. */
  drained(runId: string): Promise<void> {
    return this.queues.get(runId) ?? Promise.resolve();
  }

  private enqueue(runId: string, message: AgentMessage): void {
    const previous = this.queues.get(runId) ?? Promise.resolve();
    const next = previous.then(() => this.handler?.(message)).catch((error: unknown) => {
      this.onInvalidMessage(runId, `handling ${message.type} failed: ${(error as Error).message}`);
    });
    this.queues.set(runId, next);
    void next.then(() => {
      if (this.queues.get(runId) === next) this.queues.delete(runId);
    });
  }

  async sendControl(message: ControlMessage): Promise<void> {
    const child = this.channels.get(message.runId);
    if (!child?.connected) return;
    await new Promise<void>((resolve) => child.send(message, () => resolve()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }
}
