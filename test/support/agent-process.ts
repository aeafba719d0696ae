// The real agent, forked as the controller forks it (IPC channel, token in the environment), with every
// message it sends checked against the schema and collected, for tests that drive one run end to end.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AgentMessage, type LogMessage, type ResultMessage } from '../../schemas/src/messages.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const AGENT_MAIN = join(REPO, 'services/agent/src/main.ts');
const checkMessage = TypeCompiler.Compile(AgentMessage);

export interface AgentUnderTest {
  child: ChildProcess;
  messages: AgentMessage[];
  stderr: () => string;
  logLines: () => string[];
  /** The result message, once it has come (within `timeoutMs`, default 20 s). */
  result: (timeoutMs?: number) => Promise<ResultMessage>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Forks the agent for `runId` against an assignment server at `controllerUrl`; `env` is its whole environment besides PATH. */
export function forkAgent(input: { runId: string; controllerUrl: string; workRoot: string; env: Record<string, string> }): AgentUnderTest {
  const child = fork(AGENT_MAIN, ['--run-id', input.runId, '--controller-url', input.controllerUrl, '--transport', 'ipc', '--work-root', input.workRoot], {
    cwd: REPO,
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...input.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const messages: AgentMessage[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('message', (message: unknown) => {
    assert.ok(checkMessage.Check(message), `invalid message from the agent: ${JSON.stringify(message)}`);
    messages.push(message);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    messages,
    stderr: () => stderr,
    logLines: () => messages.filter((m): m is LogMessage => m.type === 'log').flatMap((m) => m.lines.map((l) => l.line)),
    result: async (timeoutMs = 20_000) => {
      await until(() => messages.some((m) => m.type === 'result'), timeoutMs, () => `no result; stderr: ${stderr}`);
      return messages.find((m): m is ResultMessage => m.type === 'result')!;
    },
    exit,
  };
}

export async function until(condition: () => boolean, timeoutMs: number, explain: () => string = () => 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${explain()}`);
    await sleep(10);
  }
}

/** Alive means running: a zombie waits only to be reaped (PID 1 in a container may never do it). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}
