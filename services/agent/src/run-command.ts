// Runs the experiment's command under its budget. The command leads its own process group, so the
// budget, a stop, or the loss of the controller reaches everything it started, grandchildren included.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLineSplitter, type Line } from './output/line-splitter.js';
import { isProcessGroupAlive, samplePeakMemory, signalProcessGroup } from './process-group.js';

export type OutputStream = 'stdout' | 'stderr';

/** Why the command ended: by itself, at the budget, on request, or because the controller is gone. */
export type CommandEnding = 'exited' | 'budget' | 'stopped' | 'abandoned';

export interface RunCommandOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  budgetSeconds: number;
  graceSeconds: number;
  onLine: (stream: OutputStream, line: Line) => void;
  /** What the agent itself did to the run (signals sent), for the run's log. */
  onNote: (text: string) => void;
}

export interface CommandResult {
  ending: CommandEnding;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The main process was still alive when the grace period ran out and had to be SIGKILLed. */
  killedAfterGrace: boolean;
  startedAt: number;
  finishedAt: number;
  peakMemoryMb: number | null;
  /** The command could not be started at all. */
  spawnError?: string;
}

export interface RunningCommand {
  /** SIGTERM to the group now, SIGKILL after the grace period. */
  stop(): void;
  /** SIGKILL to the group now: the controller is gone and nobody will read a result. */
  abandon(): void;
  readonly done: Promise<CommandResult>;
}

const STREAM_DRAIN_MS = 1000;
const GROUP_EXIT_WAIT_MS = 2000;

export function runCommand(options: RunCommandOptions): RunningCommand {
  const startedAt = Date.now();
  const child = spawn('/bin/sh', ['-c', options.command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid;

  let ending: CommandEnding | null = null;
  let exited = false;
  let killedAfterGrace = false;
  let budgetTimer: NodeJS.Timeout | null = null;
  let graceTimer: NodeJS.Timeout | null = null;
  const sampler = pgid === undefined ? null : samplePeakMemory(pgid);

  const signalGroup = (signal: NodeJS.Signals) => {
    if (pgid !== undefined) signalProcessGroup(pgid, signal);
  };

  const terminate = (why: 'budget' | 'stopped') => {
    if (ending !== null || exited) return;
    ending = why;
    if (budgetTimer) clearTimeout(budgetTimer);
    options.onNote(
      why === 'budget'
        ? `budget of ${options.budgetSeconds}s reached: SIGTERM to the process group, SIGKILL in ${options.graceSeconds}s`
        : `stop requested: SIGTERM to the process group, SIGKILL in ${options.graceSeconds}s`,
    );
    signalGroup('SIGTERM');
    graceTimer = setTimeout(() => {
      if (exited || pgid === undefined) return;
      void isProcessGroupAlive(pgid).then((alive) => {
        if (!alive || exited) return;
        killedAfterGrace = true;
        options.onNote(`grace period of ${options.graceSeconds}s over: SIGKILL to the process group`);
        signalGroup('SIGKILL');
      });
    }, options.graceSeconds * 1000);
  };

  const done = (async (): Promise<CommandResult> => {
    const streams = [pipeLines(child.stdout, 'stdout', options.onLine), pipeLines(child.stderr, 'stderr', options.onLine)];
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    });
    exited = true;
    if (budgetTimer) clearTimeout(budgetTimer);
    if (graceTimer) clearTimeout(graceTimer);
    if (pgid !== undefined) await killStragglers(pgid);
    await withinMs(Promise.all(streams.map((s) => s.finished)), STREAM_DRAIN_MS);
    for (const stream of streams) stream.close();
    const result: CommandResult = {
      ending: ending ?? 'exited',
      exitCode: exit.code,
      signal: exit.signal,
      killedAfterGrace,
      startedAt,
      finishedAt: Date.now(),
      peakMemoryMb: sampler?.stop() ?? null,
    };
    if (exit.error && pgid === undefined) result.spawnError = exit.error.message;
    return result;
  })();

  if (pgid !== undefined) budgetTimer = setTimeout(() => terminate('budget'), options.budgetSeconds * 1000);

  return {
    stop: () => terminate('stopped'),
    abandon() {
      if (exited) return;
      ending ??= 'abandoned';
      signalGroup('SIGKILL');
    },
    done,
  };
}

/** Whatever the main process left behind in its group (daemons, stray grandchildren) goes with it. */
async function killStragglers(pgid: number): Promise<void> {
  if (!signalProcessGroup(pgid, 'SIGKILL')) return;
  const deadline = Date.now() + GROUP_EXIT_WAIT_MS;
  while (Date.now() < deadline && (await isProcessGroupAlive(pgid))) await sleep(20);
}

/** Waits for `promise`, but no longer than `ms`, and leaves no timer behind. */
async function withinMs(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

interface PipedStream {
  finished: Promise<void>;
  /** Ends the lines (a last partial line is emitted) and stops reading. */
  close(): void;
}

function pipeLines(stream: Readable | null, name: OutputStream, onLine: RunCommandOptions['onLine']): PipedStream {
  if (stream === null) return { finished: Promise.resolve(), close: () => {} };
  const splitter = createLineSplitter((line) => onLine(name, line));
  let closed = false;
  stream.on('data', (chunk: Buffer) => {
    if (!closed) splitter.write(chunk);
  });
  const finished = once(stream, 'close').then(
    () => undefined,
    () => undefined,
  );
  return {
    finished,
    close() {
      if (closed) return;
      closed = true;
      splitter.end();
      // A process outside the group (it called setsid) may still hold the pipe; stop waiting for it.
      stream.destroy();
    },
  };
}
