// Warm agents: the embedded executor forks each slot's next agent ahead, and hands it its run with the
// assignment, so no process start and no HTTP fetch sit between two runs in a slot (bench/pipelining).
// The controller URL given to them here has nothing listening: a run that succeeds was not fetched.
import assert from 'node:assert/strict';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { AgentMessage, LogMessage, ResultMessage, RunAssignment } from '../../schemas/src/messages.js';
import type { AgentGone, RunLaunch } from '../../services/controller/src/executors/executor.js';
import { LocalExecutor } from '../../services/controller/src/executors/local/local-executor.js';
import { parseStudyYaml, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { makeAssignment, startAssignmentServer } from '../support/assignment-server.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const AGENT_MAIN = join(REPO, 'services/agent/src/main.ts');
const NOWHERE = 'http://127.0.0.1:9'; // the discard port: nothing answers there
const TOKEN = 'tok-warm-secret';

let workRoot: string;
before(async () => {
  workRoot = await mkdtemp(join(tmpdir(), 'warm-agents-'));
});
after(async () => {
  await rm(workRoot, { recursive: true, force: true });
});

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

interface Standby {
  child: ChildProcess;
  messages: unknown[];
  stderr: () => string;
  exit: Promise<number | null>;
}

async function forkStandby(): Promise<Standby> {
  const child = fork(AGENT_MAIN, ['--standby', '--transport', 'ipc', '--work-root', workRoot], {
    cwd: REPO,
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const messages: unknown[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('message', (message) => messages.push(message));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(() => messages.some((m) => (m as { type?: string }).type === 'standby-ready'), 20_000, `the standby is ready (stderr: ${stderr})`);
  return { child, messages, stderr: () => stderr, exit };
}

const logLines = (messages: unknown[]) =>
  (messages as AgentMessage[]).filter((m): m is LogMessage => m.type === 'log').flatMap((m) => m.lines.map((l) => l.line));

describe('a standby agent', () => {
  it('runs the assignment it is handed, with the token kept from the experiment', async () => {
    const agent = await forkStandby();
    const assignment = makeAssignment({
      runId: 'run-warm-1',
      command: 'node train.js; env',
      files: { 'train.js': "console.log('---'); console.log('val_bpb: 1.25');" },
    });
    agent.child.send({ type: 'assign', runId: assignment.runId, token: TOKEN, controllerUrl: NOWHERE, assignment });
    assert.equal(await agent.exit, 0, agent.stderr());
    const result = (agent.messages as AgentMessage[]).find((m): m is ResultMessage => m.type === 'result');
    assert.equal(result?.status, 'succeeded', agent.stderr());
    assert.equal(result?.runId, 'run-warm-1');
    assert.deepEqual(result?.metrics, { val_bpb: 1.25 });
    const lines = logLines(agent.messages);
    assert.ok(lines.some((line) => line.startsWith('PATH=')), 'the experiment printed its environment');
    assert.ok(!lines.some((line) => line.includes(TOKEN)), 'the run token must not reach the experiment');
  });

  it('exits quietly when dismissed before any run', async () => {
    const agent = await forkStandby();
    agent.child.disconnect();
    assert.equal(await agent.exit, 0);
    assert.equal(agent.stderr(), '');
  });

  it('refuses a malformed assignment, naming the field, and runs nothing', async () => {
    const agent = await forkStandby();
    const assignment = { ...makeAssignment({ runId: 'run-warm-bad', command: 'touch ran' }), budgetSeconds: 'ten' };
    agent.child.send({ type: 'assign', runId: 'run-warm-bad', token: TOKEN, controllerUrl: NOWHERE, assignment });
    assert.equal(await agent.exit, 1);
    assert.match(agent.stderr(), /budgetSeconds/);
    assert.ok(!(agent.messages as AgentMessage[]).some((m) => m.type === 'started'), 'nothing was started');
  });

  it('refuses a first message that is not a run', async () => {
    const agent = await forkStandby();
    agent.child.send({ type: 'stop', runId: 'x' });
    assert.equal(await agent.exit, 2);
    assert.match(agent.stderr(), /expects \{type: 'assign', runId, token, controllerUrl\} first/);
  });
});

const RUN = {
  command: 'node train.js',
  files: { 'train.js': "console.log('gpu=' + process.env.CUDA_VISIBLE_DEVICES); console.log('---'); console.log('val_bpb: 2');" },
};

describe('the local executor with warm agents', () => {
  it('starts a slot\'s first run cold, hands each next one to a warm agent, and kills the waiting one at shutdown', async () => {
    const messages = new Map<string, unknown[]>();
    const executor = new LocalExecutor({
      slots: [{ name: 'cpu:0', env: { CUDA_VISIBLE_DEVICES: '7' } }],
      channel: {
        kind: 'ipc',
        attach: (runId, child) => child.on('message', (message) => messages.set(runId, [...(messages.get(runId) ?? []), message])),
      },
      onAgentOutput: () => {},
      baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      workRoot,
    });
    const spec = validateStudySpec(parseStudyYaml('name: warm\nflavor: training\nworkspace: { mutable: [train.js] }\nobjective: { metric: val_bpb, direction: minimize }\nrun: { command: node train.js }\nmutator: { kind: llm, model: claude-sonnet-4-6 }\n'));
    const launch = async (runId: string, warm: boolean): Promise<AgentGone> => {
      if (warm) await until(() => executor.warmSlots().includes('cpu:0'), 20_000, 'slot cpu:0 has a warm agent');
      const assignment: RunAssignment = makeAssignment({ runId, ...RUN });
      const run: RunLaunch = {
        runId, attempt: 1, token: TOKEN, slot: { name: 'cpu:0', env: { CUDA_VISIBLE_DEVICES: '7' } }, controllerUrl: warm ? NOWHERE : server.url,
        studyId: 'study-1', spec, branchIndex: 0, experimentNumber: 0, assignment: async () => assignment,
      };
      return new Promise((resolve) => executor.launch(run, (_, gone) => resolve(gone)));
    };
    // The slot's first run starts cold and fetches its assignment; it forks the agent of the next run.
    const server = await startAssignmentServer({ assignment: makeAssignment({ runId: 'run-slot-1', ...RUN }), token: TOKEN });
    try {
      assert.deepEqual(executor.warmSlots(), [], 'an idle slot holds no process');
      for (const [runId, warm] of [['run-slot-1', false], ['run-slot-2', true], ['run-slot-3', true]] as const) {
        const gone = await launch(runId, warm);
        assert.equal(gone.exitCode, 0, gone.lastOutput.join('\n'));
        const result = (messages.get(runId) as AgentMessage[] | undefined)?.find((m): m is ResultMessage => m.type === 'result');
        assert.equal(result?.status, 'succeeded');
        assert.ok(logLines(messages.get(runId) ?? []).includes('gpu=7'), 'the run is pinned to its slot');
      }
      assert.deepEqual(server.requests.map((r) => r.path), ['/v1/runs/run-slot-1/assignment'], 'only the cold run fetched its assignment');
      await until(() => executor.warmSlots().length === 1, 20_000, 'the next warm agent is ready');
    } finally {
      await executor.killAll();
      await server.close();
    }
    assert.deepEqual(executor.warmSlots(), []);
    const standbys = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').filter((line) => line.includes('--standby'));
    assert.deepEqual(standbys, [], 'no warm agent outlives killAll');
  });
});
