// Runs each agent as a child process of the controller, pinned to its slot.
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentGone, Executor, RunLaunch, Slot } from '../executor.js';

/** The agent's entry point beside this file's tree: `.ts` under tsx, `.js` once compiled. */
const agentEntry = fileURLToPath(
  new URL(`../../../../agent/src/main${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export interface LocalExecutorOptions {
  slots: Slot[];
  /** Embedded transport: receives the IPC channel of each agent. Without it, agents use their own transport. */
  attachChannel?: (runId: string, child: ChildProcess) => void;
  /** Where the agents' own diagnostics go (not the experiment's output, which the agent streams). */
  onAgentOutput: (runId: string, line: string) => void;
  workRoot?: string;
  /** The part of the controller's environment an agent may see (PATH, HOME, LANG, TMPDIR). */
  baseEnv: Record<string, string>;
}

export class LocalExecutor implements Executor {
  readonly kind = 'local';
  private readonly children = new Map<string, ChildProcess>();

  constructor(private readonly options: LocalExecutorOptions) {}

  slots(): Slot[] {
    return this.options.slots;
  }

  launch(run: RunLaunch, onGone: (detail: AgentGone) => void): void {
    const args = ['--run-id', run.runId, '--controller-url', run.controllerUrl, '--transport', 'ipc'];
    if (this.options.workRoot) args.push('--work-root', this.options.workRoot);
    const child = fork(agentEntry, args, {
      // The agent gets only what it needs; the controller's own secrets (DATABASE_URL, API keys) stay here.
      env: {
        ...this.options.baseEnv,
        ...run.slot.env,
        AUTORESEARCH_RUN_TOKEN: run.token,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.children.set(run.runId, child);
    this.options.attachChannel?.(run.runId, child);
    const lastOutput: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          this.options.onAgentOutput(run.runId, line);
          lastOutput.push(line);
          if (lastOutput.length > 5) lastOutput.shift();
        }
      });
    }
    let gone = false;
    const finish = (exitCode: number | null, signal: string | null) => {
      if (gone) return;
      gone = true;
      this.children.delete(run.runId);
      onGone({ exitCode, signal, lastOutput });
    };
    child.once('exit', (code, signal) => finish(code, signal));
    child.once('error', () => finish(null, null));
  }

  async killAll(): Promise<void> {
    const exits = [...this.children.values()].map(
      (child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // Closing the channel makes the agent kill its experiment's process group and exit; a SIGKILL
        // first would orphan that group. The SIGKILL is for an agent that does not react.
        if (child.connected) child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
    );
    await Promise.all(exits);
  }
}
