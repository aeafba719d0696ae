// Runs each agent as a process on this machine, pinned to its slot.
// - Embedded (`ipc`): a child with an IPC channel; it reports over that channel and dies with the controller.
//   A slot that starts a run also forks the agent of its next run (a standby), which loads while this run
//   goes on and is then handed that run with its assignment: no process start and no fetch sit between
//   two runs in a slot. A slot's first run starts cold, so an idle slot costs no process.
// - Standalone (`nats`): a detached process that reports over NATS, so it outlives a controller restart
//   and its result still arrives; its own diagnostics go to a log file, not to a pipe that could break.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { RunAssignment } from '../../../../../schemas/src/messages.js';
import type { StandbyAssignment, StandbyReady } from '../../../../agent/src/standby.js';
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
  /**
   * Where the agents' own diagnostics go (not the experiment's output, which the agent streams): `source`
   * is the run id, or `standby:<slot>` for a warm agent not yet handed a run; `runLog` is the run's logger.
   */
  onAgentOutput: (source: string, line: string, runLog?: Logger) => void;
  workRoot?: string;
  /** The part of the controller's environment an agent may see (PATH, HOME, LANG, TMPDIR). */
  baseEnv: Record<string, string>;
  /**
   * The model API's key and address, given only to the agents of skill runs, which call the model (over
   * IPC to a standby, as ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL to an agent started for the run): a
   * training script must never find the key in its agent's environment.
   */
  modelApi?: { apiKey: string | undefined; baseUrl: string | undefined };
  /** Keep a warm agent forked ahead for each slot (embedded mode); default true. */
  warmAgents?: boolean;
}

interface Standby {
  child: ChildProcess;
  output: LineReader;
  /** It has said it listens for its run (a message sent earlier could be lost). */
  isReady: boolean;
  /** Resolves true once it is ready, false if it ended first. */
  ready: Promise<boolean>;
}

/** Splits an agent's stdout and stderr into lines for whoever listens now: a standby changes hands once. */
interface LineReader {
  to(sink: (line: string) => void): LineReader;
}

function readLines(child: ChildProcess): LineReader {
  let sink: (line: string) => void = () => {};
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach((line) => sink(line));
    });
  }
  const reader: LineReader = {
    to(next) {
      sink = next;
      return reader;
    },
  };
  return reader;
}

export class LocalExecutor implements SlotExecutor {
  readonly kind = 'local';
  readonly placement = 'slots';
  private readonly children = new Map<string, ChildProcess>();
  private readonly attempts = new Map<string, number>();
  /** Slot name → the warm agent waiting for that slot's next run (embedded mode only). */
  private readonly standbys = new Map<string, Standby>();
  private closed = false;

  constructor(private readonly options: LocalExecutorOptions) {}

  slots(): Slot[] {
    return this.options.slots;
  }

  /** The slots whose warm agent is loaded and listening for its run. */
  warmSlots(): string[] {
    return [...this.standbys].filter(([, standby]) => standby.isReady).map(([slot]) => slot);
  }

  /**
   * The slot's warm agent, which is then this run's. One still loading is taken too: it has a head start
   * on a cold fork, and forking both would only make them compete for the CPU (runs shorter than an
   * agent's start would then pay for two processes each).
   */
  private takeStandby(slot: Slot): Standby | undefined {
    const standby = this.standbys.get(slot.name);
    const child = standby?.child;
    if (!standby || !child?.connected || child.exitCode !== null || child.signalCode !== null) return undefined;
    this.standbys.delete(slot.name);
    return standby;
  }

  private forkStandby(slot: Slot): void {
    const args = ['--standby', '--transport', 'ipc'];
    if (this.options.workRoot) args.push('--work-root', this.options.workRoot);
    const child = fork(agentEntry, args, { env: { ...this.options.baseEnv, ...slot.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    const output = readLines(child).to((line) => {
      if (line.trim()) this.options.onAgentOutput(`standby:${slot.name}`, line);
    });
    let settle: (ready: boolean) => void = () => {};
    const standby: Standby = { child, output, isReady: false, ready: new Promise((resolve) => (settle = resolve)) };
    this.standbys.set(slot.name, standby);
    const onReady = (message: unknown) => {
      if ((message as StandbyReady | null)?.type !== 'standby-ready') return;
      standby.isReady = true;
      child.off('message', onReady);
      settle(true);
    };
    child.on('message', onReady);
    const ended = () => {
      if (this.standbys.get(slot.name) === standby) this.standbys.delete(slot.name);
      settle(false);
    };
    child.once('exit', ended);
    child.once('error', ended);
  }

  /**
   * Hands a warm agent its run, with the assignment it would otherwise fetch over HTTP, once it listens.
   * Its channel is attached to the run only then, so its `standby-ready` never reads as a run's message.
   */
  private async assign(
    standby: Standby,
    run: RunLaunch,
    note: (line: string) => void,
    attach: (runId: string, child: ChildProcess) => void,
    modelApi: StandbyAssignment['modelApi'],
  ): Promise<void> {
    const { child } = standby;
    let assignment: RunAssignment | undefined;
    try {
      assignment = await run.assignment?.();
    } catch (error) {
      note(`could not build the assignment here (${(error as Error).message}); the agent fetches it`);
    }
    // Ended before it was ready, or gone since: its exit reports the run, which is then retried.
    if (!(await standby.ready) || !child.connected) return;
    attach(run.runId, child);
    const message: StandbyAssignment = {
      type: 'assign', runId: run.runId, token: run.token, controllerUrl: run.controllerUrl, ...(assignment !== undefined && { assignment }),
      ...(modelApi && { modelApi: { apiKey: modelApi.apiKey, ...(modelApi.baseUrl && { baseUrl: modelApi.baseUrl }) } }),
    };
    child.send(message, (error) => {
      if (error) child.kill('SIGKILL'); // a half-told agent is of no use; its exit reports the run lost
    });
  }

  launch(run: RunLaunch, onGone: OnAgentGone): void {
    const { channel } = this.options;
    const args = ['--run-id', run.runId, '--controller-url', run.controllerUrl];
    if (channel.kind === 'ipc') args.push('--transport', 'ipc');
    else args.push('--transport', 'nats', '--nats-url', channel.natsUrl);
    if (this.options.workRoot) args.push('--work-root', this.options.workRoot);
    // The agent gets only what it needs; the controller's own secrets (DATABASE_URL, API keys) stay here.
    const modelApi = run.spec.flavor === 'skill' && this.options.modelApi?.apiKey ? { apiKey: this.options.modelApi.apiKey, baseUrl: this.options.modelApi.baseUrl } : undefined;
    const env = {
      ...this.options.baseEnv,
      ...run.slot.env,
      ...(modelApi && { ANTHROPIC_API_KEY: modelApi.apiKey, ...(modelApi.baseUrl && { ANTHROPIC_BASE_URL: modelApi.baseUrl }) }),
      AUTORESEARCH_RUN_TOKEN: run.token,
    };

    const lastOutput: string[] = [];
    const remember = (line: string) => {
      if (!line.trim()) return;
      this.options.onAgentOutput(run.runId, line, run.log);
      lastOutput.push(line);
      if (lastOutput.length > 5) lastOutput.shift();
    };

    let child: ChildProcess;
    let logFile: string | null = null;
    if (channel.kind === 'ipc') {
      const standby = this.takeStandby(run.slot);
      if (standby) {
        child = standby.child;
        standby.output.to(remember);
        void this.assign(standby, run, remember, channel.attach, modelApi);
      } else {
        child = fork(agentEntry, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
        readLines(child).to(remember);
        channel.attach(run.runId, child);
      }
      if (this.options.warmAgents !== false && !this.closed && !this.standbys.has(run.slot.name)) this.forkStandby(run.slot);
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
    this.closed = true;
    const standbys = [...this.standbys.values()].map((standby) => standby.child);
    this.standbys.clear();
    const exits = [...this.children.values(), ...standbys].map(
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
