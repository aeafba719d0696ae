// A run's result must outlive a NATS outage and the agent itself: it is written here before it is
// published, and removed only once JetStream has acknowledged it. A later agent with the same work root
// finds what an earlier one left and delivers it. Files hold the signed envelope, so they can be
// delivered without the token of the run that wrote them.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SignedAgentMessage } from '../../../../schemas/src/message-mac.js';
import type { ResultMessage } from '../../../../schemas/src/messages.js';

const checkEnvelope = TypeCompiler.Compile(SignedAgentMessage);

export interface SignedResult {
  message: ResultMessage;
  mac: string;
}

export interface OutboxEntry {
  path: string;
  envelope: SignedResult;
}

export class ResultOutbox {
  constructor(readonly dir: string) {}

  static forWorkRoot(workRoot: string): ResultOutbox {
    return new ResultOutbox(join(workRoot, 'outbox'));
  }

  /** Writes `<runId>-<attempt>.json` atomically and durably: a crash leaves the old file or the new one. */
  async put(envelope: SignedResult): Promise<OutboxEntry> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${envelope.message.runId}-${envelope.message.attempt}.json`;
    const path = join(this.dir, name);
    const temporary = join(this.dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(envelope));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    await syncDirectory(this.dir);
    return { path, envelope };
  }

  /** Once acknowledged. Another agent flushing the same file may have removed it first. */
  async remove(entry: OutboxEntry): Promise<void> {
    await rm(entry.path, { force: true });
  }

  /** Results left here by earlier agents; unreadable files are reported and left alone for a person. */
  async list(warn: (problem: string) => void): Promise<OutboxEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: OutboxEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const path = join(this.dir, name);
      try {
        const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
        if (!checkEnvelope.Check(parsed) || parsed.message.type !== 'result') {
          warn(`outbox file ${path} does not hold a signed result; leaving it`);
          continue;
        }
        entries.push({ path, envelope: parsed as SignedResult });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        warn(`cannot read outbox file ${path}: ${(error as Error).message}; leaving it`);
      }
    }
    return entries;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  } finally {
    await handle.close();
  }
}

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up at this time (epoch ms). */
  deadline: number;
}

/**
 * Calls `attempt` until it resolves, waiting initialDelayMs, then twice as long each time up to
 * maxDelayMs (with ±20% jitter so agents freed by one NATS restart do not retry in lockstep).
 * Resolves true once it succeeded, false at the deadline or when `signal` aborts.
 */
export async function retryUntilDone(
  attempt: () => Promise<void>,
  policy: RetryPolicy,
  onFailure: (error: Error, nextDelayMs: number) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  let delay = policy.initialDelayMs;
  for (;;) {
    if (signal?.aborted) return false;
    try {
      await attempt();
      return true;
    } catch (error) {
      const wait = Math.min(delay * (0.8 + Math.random() * 0.4), Math.max(0, policy.deadline - Date.now()));
      if (wait <= 0 || signal?.aborted) return false;
      onFailure(error as Error, wait);
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return false;
      }
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
