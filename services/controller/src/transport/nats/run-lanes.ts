// Core messages of one run are handled strictly in order (log lines keep their order, a `started` comes
// before the progress that follows it), while different runs go in parallel. Messages that pile up
// behind a slow database write are coalesced: consecutive log batches (or progress batches) of the same
// attempt become one message, so the store writes them in one multi-row INSERT instead of many.
import type { AgentMessage, HeartbeatMessage, LogMessage, ProgressMessage } from '../../../../../schemas/src/messages.js';

/** The schema's limit on lines or points per message. */
const MAX_ITEMS = 1000;

export interface PendingMessage {
  message: AgentMessage;
  mac: string;
  subject: string;
}

/**
 * Merges neighbours that are safe to merge: log + log and progress + progress of the same attempt (up to
 * the schema's 1000 items), heartbeat + heartbeat (the later one wins). Order is otherwise kept.
 */
export function coalesceMessages(messages: readonly AgentMessage[]): AgentMessage[] {
  const out: AgentMessage[] = [];
  for (const message of messages) {
    const last = out[out.length - 1];
    if (last !== undefined && last.attempt === message.attempt) {
      if (last.type === 'log' && message.type === 'log' && last.lines.length + message.lines.length <= MAX_ITEMS) {
        out[out.length - 1] = { ...last, lines: [...last.lines, ...message.lines] } satisfies LogMessage;
        continue;
      }
      if (last.type === 'progress' && message.type === 'progress' && last.points.length + message.points.length <= MAX_ITEMS) {
        out[out.length - 1] = { ...last, points: [...last.points, ...message.points] } satisfies ProgressMessage;
        continue;
      }
      if (last.type === 'heartbeat' && message.type === 'heartbeat') {
        out[out.length - 1] = message satisfies HeartbeatMessage;
        continue;
      }
    }
    out.push(message);
  }
  return out;
}

interface Lane {
  pending: PendingMessage[];
  running: Promise<void>;
}

export class RunLanes {
  private readonly lanes = new Map<string, Lane>();
  private pendingTotal = 0;

  /**
   * `accept` authenticates one message (false drops it); `handle` records one (coalesced) message.
   * Both are called one at a time per run.
   */
  constructor(
    private readonly accept: (pending: PendingMessage) => Promise<boolean>,
    private readonly handle: (message: AgentMessage) => Promise<void>,
  ) {}

  /** Messages waiting, over all runs: the caller sheds load above its limit. */
  size(): number {
    return this.pendingTotal;
  }

  push(runId: string, pending: PendingMessage): void {
    this.pendingTotal++;
    const lane = this.lanes.get(runId);
    if (lane) {
      lane.pending.push(pending);
      return;
    }
    const fresh: Lane = { pending: [pending], running: Promise.resolve() };
    this.lanes.set(runId, fresh);
    fresh.running = this.drain(runId, fresh);
  }

  /** Resolves once what this run has queued so far is handled (or after `timeoutMs`, whichever is first). */
  async settled(runId: string, timeoutMs: number): Promise<void> {
    const lane = this.lanes.get(runId);
    if (!lane) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([lane.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Resolves once every lane is empty. */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) await Promise.all([...this.lanes.values()].map((lane) => lane.running));
  }

  private async drain(runId: string, lane: Lane): Promise<void> {
    // Let the messages that arrived in the same tick join the first batch.
    await Promise.resolve();
    while (lane.pending.length > 0) {
      const batch = lane.pending.splice(0);
      const accepted: AgentMessage[] = [];
      for (const pending of batch) {
        if (await this.accept(pending).catch(() => false)) accepted.push(pending.message);
      }
      // `handle` reports its own failures; a failure must not stop the lane.
      for (const message of coalesceMessages(accepted)) await this.handle(message).catch(() => {});
      this.pendingTotal -= batch.length;
    }
    this.lanes.delete(runId);
  }
}
