// The real agent, forked as the controller forks it (IPC channel, token in the environment), against a
// real HTTP stand-in for the controller's assignment route. Checks what matters most about running
// untrusted experiments: budgets are enforced on the whole process tree and nothing is left behind.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunAssignment } from '../../schemas/src/messages.js';
import { forkAgent, isAlive, until, type AgentUnderTest } from '../support/agent-process.js';
import { makeAssignment, startAssignmentServer, type AssignmentServer } from '../support/assignment-server.js';

const TOKEN = 'tok-secret-4242';

const servers: AssignmentServer[] = [];
let workRoot: string;
before(async () => {
  workRoot = await mkdtemp(join(tmpdir(), 'agent-e2e-'));
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(workRoot, { recursive: true, force: true });
});

async function startAgent(assignment: RunAssignment, options: { token?: string } = {}): Promise<AgentUnderTest> {
  const server = await startAssignmentServer({ assignment, token: TOKEN });
  servers.push(server);
  // A secret of the controller's that must not reach the experiment, beside the run token.
  return forkAgent({
    runId: assignment.runId, controllerUrl: server.url, workRoot,
    env: { AUTORESEARCH_RUN_TOKEN: options.token ?? TOKEN, DATABASE_URL: 'postgres://db-secret' },
  });
}


function liveMembersOfGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

function pidsFromLog(lines: string[], key: string): number[] {
  return lines.flatMap((line) => {
    const match = new RegExp(`^${key}=(\\d+)$`).exec(line);
    return match ? [Number(match[1])] : [];
  });
}

describe('agent (forked, over IPC)', () => {
  it('kills the whole process tree after budget + grace, grandchildren that ignore SIGTERM included', async () => {
    const command = [
      `sh -c 'trap "" TERM; echo grandchild=$$; exec sleep 1000' &`,
      `sh -c 'trap "" TERM; echo grandchild=$$; exec sleep 1000' &`,
      `trap "" TERM`,
      `echo leader=$$`,
      `while true; do sleep 0.1; done`,
    ].join('\n');
    const agent = await startAgent(makeAssignment({ runId: 'run-timeout', command, budgetSeconds: 1, graceSeconds: 1 }));
    const result = await agent.result();
    const lines = agent.logLines();
    const [leader] = pidsFromLog(lines, 'leader');
    const grandchildren = pidsFromLog(lines, 'grandchild');
    assert.ok(leader, `no leader pid in ${JSON.stringify(lines)}`);
    assert.equal(grandchildren.length, 2);

    assert.equal(result.status, 'timeout');
    assert.equal(result.reason, 'exceeded budget 1s + grace 1s');
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(result.finishedAt - result.startedAt >= 2000);
    assert.ok(result.finishedAt - result.startedAt < 4000);
    for (const pid of [leader, ...grandchildren]) assert.equal(isAlive(pid), false, `pid ${pid} is still alive`);
    assert.deepEqual(liveMembersOfGroup(leader), []);
    assert.ok(lines.some((line) => /SIGTERM to the process group/.test(line)));
    assert.ok(lines.some((line) => /SIGKILL to the process group/.test(line)));
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
  });

  it('reports a crash with its exit code and exactly the last 50 lines', async () => {
    const command = 'for i in $(seq 1 80); do echo "line $i"; done; exit 3';
    const agent = await startAgent(makeAssignment({ runId: 'run-crash', command }));
    const result = await agent.result();
    assert.equal(result.status, 'crashed');
    assert.match(result.reason!, /exit code 3/);
    assert.equal(result.exitCode, 3);
    assert.deepEqual(result.logTail, Array.from({ length: 50 }, (_, i) => `line ${i + 31}`));
    assert.equal(agent.logLines().filter((line) => line.startsWith('line ')).length, 80);
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
  });

  it('succeeds with the summary metrics, streams progress and heartbeats, and keeps secrets from the experiment', async () => {
    const script = [
      '#!/bin/sh',
      'echo "step=1 loss=2.5 lr=0.01"',
      'echo "step=2 loss=1.5 lr=0.01"',
      'sleep 0.6',
      'echo "HOME=$HOME"',
      'env',
      'echo ---',
      'echo "val_bpb: 0.997900"',
      'echo "peak_vram_mb: 45060.2"',
    ].join('\n');
    const assignment = makeAssignment({ runId: 'run-ok', command: './train.sh', heartbeatSeconds: 0.2, env: { SEED: '7' } });
    assignment.files = [{ path: 'train.sh', mode: 0o755, contentBase64: Buffer.from(script).toString('base64') }];
    const agent = await startAgent(assignment);
    const result = await agent.result();
    assert.equal(result.status, 'succeeded', result.reason);
    assert.deepEqual(result.metrics, { val_bpb: 0.9979, peak_vram_mb: 45060.2 });
    assert.equal(result.exitCode, 0);
    assert.ok(result.peakMemoryMb === null || result.peakMemoryMb > 0);

    assert.equal(agent.messages[0]?.type, 'started');
    assert.equal(agent.messages.at(-1)?.type, 'result');
    assert.ok(agent.messages.filter((m) => m.type === 'heartbeat').length >= 1);
    // (The `env` dump is name=value lines too; only the training lines matter here.)
    const points = agent.messages.flatMap((m) => (m.type === 'progress' ? m.points : [])).filter((p) => p.name === 'loss' || p.name === 'lr');
    assert.deepEqual(
      points.map(({ name, value, step }) => ({ name, value, step })),
      [
        { name: 'loss', value: 2.5, step: 1 },
        { name: 'lr', value: 0.01, step: 1 },
        { name: 'loss', value: 1.5, step: 2 },
        { name: 'lr', value: 0.01, step: 2 },
      ],
    );

    const lines = agent.logLines();
    assert.ok(lines.includes('SEED=7'));
    const home = lines.find((line) => line.startsWith('HOME='))!.slice('HOME='.length);
    assert.match(home, /autoresearch-run-run-ok-.*\/work$/);
    assert.ok(!lines.some((line) => line.includes(TOKEN) || line.includes('db-secret') || line.startsWith('AUTORESEARCH_RUN_TOKEN')));
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
    assert.equal(existsSync(home), false, 'the work directory is removed after the run');
  });

  it('stops the run within a second on a stop control message', async () => {
    const agent = await startAgent(makeAssignment({ runId: 'run-stop', command: 'echo ready; sleep 1000', graceSeconds: 5 }));
    await until(() => agent.logLines().includes('ready'), 10_000);
    const sentAt = Date.now();
    agent.child.send({ type: 'control', runId: 'run-stop', attempt: 1, action: 'stop', reason: 'user asked' });
    const result = await agent.result();
    assert.ok(Date.now() - sentAt < 1000, `took ${Date.now() - sentAt} ms`);
    assert.equal(result.status, 'stopped');
    assert.equal(result.reason, 'stopped: user asked');
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
  });

  it('reports a NaN objective as a crash, without putting NaN into a message', async () => {
    const command = 'echo "step=1 loss=nan"; echo ---; echo "val_bpb: nan"; echo "depth: 8"';
    const agent = await startAgent(makeAssignment({ runId: 'run-nan', command }));
    const result = await agent.result();
    assert.equal(result.status, 'crashed');
    assert.equal(result.reason, 'val_bpb is NaN');
    assert.deepEqual(result.metrics, { depth: 8 });
    assert.ok(!agent.messages.some((m) => m.type === 'progress'));
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
  });

  it('stops the run and still reports it when the agent itself gets SIGTERM', async () => {
    const agent = await startAgent(makeAssignment({ runId: 'run-sigterm', command: 'echo ready; sleep 1000' }));
    await until(() => agent.logLines().includes('ready'), 10_000);
    agent.child.kill('SIGTERM');
    const result = await agent.result();
    assert.equal(result.status, 'stopped');
    assert.equal(result.reason, 'the agent received SIGTERM');
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
  });

  it('kills its process group and exits when the controller side of the channel goes away', async () => {
    const command = 'sleep 1000 & echo background=$!\necho leader=$$\nsleep 1000';
    const agent = await startAgent(makeAssignment({ runId: 'run-orphan', command, graceSeconds: 30 }));
    await until(() => pidsFromLog(agent.logLines(), 'leader').length === 1 && pidsFromLog(agent.logLines(), 'background').length === 1, 10_000);
    const [leader] = pidsFromLog(agent.logLines(), 'leader');
    const [background] = pidsFromLog(agent.logLines(), 'background');
    assert.ok(isAlive(leader!) && isAlive(background!));

    const disconnectedAt = Date.now();
    agent.child.disconnect();
    const exit = await agent.exit;
    assert.ok(Date.now() - disconnectedAt < 3000, `took ${Date.now() - disconnectedAt} ms`);
    assert.notEqual(exit.code, 0);
    assert.equal(isAlive(leader!), false);
    assert.equal(isAlive(background!), false);
    assert.deepEqual(liveMembersOfGroup(leader!), []);
    assert.ok(!agent.messages.some((m) => m.type === 'result'));
  });

  it('exits non-zero with a clear message when the token is refused', async () => {
    const agent = await startAgent(makeAssignment({ runId: 'run-badtoken' }), { token: 'wrong-token' });
    const exit = await agent.exit;
    assert.equal(exit.code, 1);
    assert.match(agent.stderr(), /rejected the run token \(401\)/);
    assert.ok(!agent.stderr().includes('wrong-token'));
    assert.deepEqual(agent.messages, []);
  });

  it('reports a revision with an unsafe path as a crash, without running anything', async () => {
    const assignment = makeAssignment({ runId: 'run-unsafe', command: 'touch ran' });
    assignment.files = [{ path: '../escape.sh', mode: 0o644, contentBase64: Buffer.from('x').toString('base64') }];
    const agent = await startAgent(assignment);
    const result = await agent.result();
    assert.equal(result.status, 'crashed');
    assert.match(result.reason!, /could not prepare the run: path "\.\.\/escape\.sh" climbs out/);
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
    assert.equal(existsSync(join(workRoot, 'escape.sh')), false);
  });

  it('leaves no work directories behind', async () => {
    assert.deepEqual(await readdir(workRoot), []);
  });
});
