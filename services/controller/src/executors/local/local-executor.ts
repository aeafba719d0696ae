// Runs each agent as a process on this machine, pinned to its slot.
// - Embedded (`ipc`): a child with an IPC channel; it reports over that channel and dies with the controller.
// - Standalone (`nats`): a detached process that reports over NATS, so it outlives a controller restart
//   and its result still arrives; its own diagnostics go to a log file, not to a pipe that could break.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OnAgentGone, RunLaunch, Slot, SlotExecutor } from '../executor.js';

/** The agent's entry point beside this file's tree: `.ts` under tsx, `.js` once compiled. */
const agentEntry = fileURLToPath(
  new URL(`../../../../agent/src/main${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export type AgentChannel =
  | { kind: 'ipc'; attach: (runId: string, child: ChildProcess) => void }
  | { kind: 'nats'; natsUrl: string; logDir: string };

export interface LocalExecutorOptions {
  slots: Slot[];
  channel: AgentChannel;
  /** Where the agents' own diagnostics go (not the experiment's output, which the agent streams). */
  onAgentOutput: (runId: string, line: string) => void;
  workRoot?: string;
  /** The part of the controller's environment an agent may see (PATH, HOME, LANG, TMPDIR). */
  baseEnv: Record<string, string>;
}

export class LocalExecutor implements SlotExecutor {
  readonly kind = 'local';
  readonly placement = 'slots';
  private readonly children = new Map<string, ChildProcess>();
  private readonly attempts = new Map<string, number>();

  constructor(private readonly options: LocalExecutorOptions) {}

  slots(): Slot[] {
    return this.options.slots;
  }

  launch(run: RunLaunch, onGone: OnAgentGone): void {
    const { channel } = this.options;
    const args = ['--run-id', run.runId, '--controller-url', run.controllerUrl];
    if (channel.kind === 'ipc') args.push('--transport', 'ipc');
    else args.push('--transport', 'nats', '--nats-url', channel.natsUrl);
    if (this.options.workRoot) args.push('--work-root', this.options.workRoot);
    // The agent gets only what it needs; the controller's own secrets (DATABASE_URL, API keys) stay here.
    const env = { ...this.options.baseEnv, ...run.slot.env, AUTORESEARCH_RUN_TOKEN: run.token };

    const lastOutput: string[] = [];
    const remember = (line: string) => {
      if (!line.trim()) return;
      this.options.onAgentOutput(run.runId, line);
      lastOutput.push(line);
      if (lastOutput.length > 5) lastOutput.shift();
    };

    let child: ChildProcess;
    let logFile: string | null = null;
    if (channel.kind === 'ipc') {
      child = fork(agentEntry, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
      channel.attach(run.runId, child);
      for (const stream of [child.stdout, child.stderr]) {
        let buffered = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          buffered += chunk;
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          lines.forEach(remember);
        });
      }
    } else {
      mkdirSync(channel.logDir, { recursive: true });
      logFile = join(channel.logDir, `${run.runId}-${run.attempt}.log`);
      const fd = openSync(logFile, 'a');
      child = spawn(process.execPath, [...process.execArgv, agentEntry, ...args], {
        env, stdio: ['ignore', fd, fd], detached: true,
      });
      closeSync(fd);
    }
    this.children.set(run.runId, child);
    this.attempts.set(run.runId, run.attempt);

    let gone = false;
    const finish = (exitCode: number | null, signal: string | null) => {
      if (gone) return;
      gone = true;
      if (this.children.get(run.runId) === child) {
        this.children.delete(run.runId);
        this.attempts.delete(run.runId);
      }
      if (logFile) {
        try {
          readFileSync(logFile, 'utf8').split('\n').slice(-6).forEach(remember);
        } catch {
          // no diagnostics to show
        }
      }
      onGone(run, { exitCode, signal, lastOutput });
    };
    child.once('exit', (code, signal) => finish(code, signal));
    child.once('error', () => finish(null, null));
  }

  /**
   * Ends every agent this executor started. IPC agents are told by closing their channel (they then kill
   * their experiment's process group); standalone agents get SIGTERM, which stops the run and reports it.
   * SIGKILL follows for an agent that does not react.
   */
  async killAll(): Promise<void> {
    const exits = [...this.children.values()].map(
      (child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        if (child.connected) child.disconnect();
        else child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
    );
    await Promise.all(exits);
  }

  abandon(run: { runId: string; attempt: number }): void {
    const child = this.children.get(run.runId);
    if (child && this.attempts.get(run.runId) === run.attempt) child.kill('SIGKILL');
  }

  /** Leaves standalone agents running (a controller restart must not lose their runs). */
  async detachAll(): Promise<void> {
    for (const child of this.children.values()) {
      child.removeAllListeners('exit');
      child.unref();
    }
    this.children.clear();
  }
}
