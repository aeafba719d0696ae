// The real agent, forked as the controller forks it, running a study's command guards after its command:
// their results travel in the result message, their output in the live log, heartbeats go on while they
// run, they see the experiment's environment and never the agent's token, and a crashed run runs none.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunAssignment } from '../../schemas/src/messages.js';
import { forkAgent, until, type AgentUnderTest } from '../support/agent-process.js';
import { makeAssignment, startAssignmentServer, type AssignmentServer } from '../support/assignment-server.js';

const TOKEN = 'tok-guard-secret-4242';
const METRIC = 'echo ---; echo "val_bpb: 0.9979"';

const servers: AssignmentServer[] = [];
let workRoot: string;
before(async () => {
  workRoot = await mkdtemp(join(tmpdir(), 'agent-guards-e2e-'));
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(workRoot, { recursive: true, force: true });
});

async function startAgent(assignment: RunAssignment): Promise<AgentUnderTest> {
  const server = await startAssignmentServer({ assignment, token: TOKEN });
  servers.push(server);
  return forkAgent({ runId: assignment.runId, controllerUrl: server.url, workRoot, env: { AUTORESEARCH_RUN_TOKEN: TOKEN, DATABASE_URL: 'postgres://db-secret' } });
}

describe('agent guards (forked, over IPC)', () => {
  it('runs every guard after a successful run and reports each, the run still succeeded', async () => {
    const agent = await startAgent(makeAssignment({
      runId: 'run-guards',
      command: `echo "made by the run" > made.txt; ${METRIC}`,
      heartbeatSeconds: 0.2,
      env: { SEED: '7' },
      guards: [
        { name: 'env', command: 'cat made.txt; env', timeoutSeconds: 5 },
        { name: 'slow-tests', command: 'sleep 1; for i in $(seq 1 60); do echo "test $i"; done; echo "FAILED: test 60" >&2; exit 1', timeoutSeconds: 10 },
      ],
    }));
    const result = await agent.result();
    assert.equal(result.status, 'succeeded', result.reason);
    assert.deepEqual(result.metrics, { val_bpb: 0.9979 });
    assert.deepEqual(result.guards?.map((g) => [g.name, g.passed, g.exitCode, g.reason]), [['env', true, 0, undefined], ['slow-tests', false, 1, 'exit code 1']]);

    const [envGuard, tests] = result.guards!;
    assert.equal(envGuard!.outputTail[0], 'made by the run', 'a guard sees the files the run left');
    assert.ok(envGuard!.outputTail.includes('SEED=7'), 'and the experiment\'s environment');
    assert.ok(!envGuard!.outputTail.some((line) => line.includes(TOKEN) || line.includes('db-secret')), 'but nothing of the agent\'s');
    assert.equal(tests!.outputTail.length, 50);
    assert.ok(tests!.outputTail.includes('FAILED: test 60'));
    assert.ok(tests!.durationMs >= 1000);

    // The guards' time is not the run's: the result's duration is the command's.
    assert.ok(result.finishedAt - result.startedAt < 1000, `the run took ${result.finishedAt - result.startedAt} ms`);
    const heartbeats = agent.messages.filter((m) => m.type === 'heartbeat').map((m) => m.ts);
    assert.ok(heartbeats.some((ts) => ts > result.finishedAt + 500), 'heartbeats go on while the guards run');
    const lines = agent.logLines();
    assert.ok(lines.includes('[guard slow-tests] FAILED: test 60'), 'guard output is in the live log, marked');
    assert.ok(lines.some((line) => /^guard "slow-tests" failed: exit code 1 \(\d+\.\d s\)$/.test(line)), 'and the agent notes each verdict');
    assert.ok(!result.logTail.some((line) => line.startsWith('test ')), 'the run\'s own tail holds only the run\'s output');
    assert.deepEqual(await agent.exit, { code: 0, signal: null });
  });

  it('runs no guard after a crashed run', async () => {
    const agent = await startAgent(makeAssignment({
      runId: 'run-crash-guarded',
      command: 'exit 3',
      guards: [{ name: 'tests', command: 'echo should-not-run', timeoutSeconds: 5 }],
    }));
    const result = await agent.result();
    assert.equal(result.status, 'crashed');
    assert.equal(result.guards, undefined);
    assert.ok(!agent.logLines().some((line) => line.includes('should-not-run')));
  });

  it('a stop while a guard runs ends it and reports the run stopped, not succeeded', async () => {
    const agent = await startAgent(makeAssignment({
      runId: 'run-stop-in-guard',
      command: METRIC,
      guards: [{ name: 'long', command: 'echo guard-started; sleep 30', timeoutSeconds: 60 }],
    }));
    await until(() => agent.logLines().includes('[guard long] guard-started'), 10_000);
    agent.child.send({ type: 'control', runId: 'run-stop-in-guard', attempt: 1, action: 'stop', reason: 'study stopping' });
    const result = await agent.result();
    assert.equal(result.status, 'stopped');
    assert.equal(result.reason, 'stopped: study stopping');
    assert.deepEqual(result.guards, []);
  });
});
