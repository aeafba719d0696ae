// Fault tests of distributed mode. Each runs `serve` against its own database and its own nats-server
// (the shared services are never touched), breaks something mid-study, and checks that every experiment
// is accounted for exactly once.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { RunRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { runCli } from '../support/cli.js';
import { startNatsServer, type TestNatsServer } from '../support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { api, startServe, studyUpload, waitForStatus, type RunningServe } from '../support/serve.js';
import { makeStudyFolder, SURROGATE_SCRIPT } from '../support/study-folder.js';

interface Stage {
  database: TestDatabase;
  nats: TestNatsServer;
  dir: string;
  token: string;
  env: Record<string, string>;
}

async function stage(name: string, sleepMs: number, env: Record<string, string> = {}): Promise<Stage> {
  const database = await createTestDatabase(name);
  const nats = await startNatsServer();
  const dir = await makeStudyFolder({ 'train.js': SURROGATE_SCRIPT.replace('const SLEEP_MS = 0;', `const SLEEP_MS = ${sleepMs};`) });
  const created = await runCli(['token', 'create', '--team', 'alpha'], { DATABASE_URL: database.url });
  assert.equal(created.code, 0, created.stderr);
  return { database, nats, dir, token: created.stdout.trim(), env: { DATABASE_URL: database.url, NATS_URL: nats.url, ...env } };
}

async function teardown(s: Stage): Promise<void> {
  await s.nats.dispose();
  await s.database.drop();
  await rm(s.dir, { recursive: true, force: true });
}

async function submit(s: Stage, serve: RunningServe, maxExperiments: number): Promise<string> {
  const response = await api<{ id: string }>(serve.url, s.token, 'POST', '/v1/studies', await studyUpload(s.dir, { maxExperiments }));
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.id;
}

async function decidedCount(serve: RunningServe, token: string, studyId: string): Promise<number> {
  const study = await api<{ progress: { decided: number } }>(serve.url, token, 'GET', `/v1/studies/${studyId}`);
  return study.body.progress?.decided ?? 0;
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}

async function killHard(serve: RunningServe): Promise<void> {
  serve.child.kill('SIGKILL');
  await serve.done;
}

async function stopGracefully(serve: RunningServe): Promise<void> {
  serve.child.kill('SIGTERM');
  await serve.done;
}

/** Every experiment 0..n-1 is decided exactly once; returns all runs. */
async function assertAccountedOnce(store: Store, studyId: string, expected: number): Promise<RunRow[]> {
  const experiments = await store.listExperiments(studyId, { limit: 1000 });
  assert.deepEqual(experiments.map((e) => e.number), Array.from({ length: expected }, (_, i) => i));
  assert.ok(experiments.every((e) => e.status === 'decided'), 'every experiment is decided');
  const decidedEvents = (await store.listEvents(studyId, { limit: 10_000 })).filter((e) => e.type === 'experiment.decided');
  assert.equal(decidedEvents.length, expected, 'each decision was made once');
  const runs: RunRow[] = [];
  for (const experiment of experiments) {
    const experimentRuns = await store.listRuns(experiment.id);
    assert.equal(experimentRuns.length, experiment.repeats);
    for (const run of experimentRuns) {
      const finals = await store.getMetrics(run.id, { kind: 'final' });
      if (run.status === 'succeeded') assert.equal(finals.filter((m) => m.name === 'val_bpb').length, 1, 'a result is ingested once');
    }
    runs.push(...experimentRuns);
  }
  return runs;
}

/** Agent processes of this test's NATS server, found by their command line. */
function agentPids(natsUrl: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const dying = stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
      if (!dying && cmdline.some((arg) => arg.includes('agent/src/main')) && cmdline.includes(natsUrl)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** The run an agent process works on ('' once the process is gone). */
function runIdOfAgent(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args[args.indexOf('--run-id') + 1] ?? '';
  } catch {
    return '';
  }
}

// Generous: the suite shares 2 cores with the other test files, and four fault scenarios take ~150 s alone.
describe('distributed mode under faults', { timeout: 600_000 }, () => {
  describe('kill -9 of the controller while runs are in flight, then a restart', () => {
    let s: Stage;
    before(async () => {
      s = await stage('fault_controller', 2500, { AUTORESEARCH_CONTROLLER_ID: 'ctl-1', AUTORESEARCH_HEARTBEAT_TIMEOUT_SECONDS: '8' });
    });
    after(async () => teardown(s));

    it('ingests every result published while it was down exactly once', async () => {
      let serve = await startServe(['--slots', '2', '--data-dir', s.dir], s.env);
      const studyId = await submit(s, serve, 8);
      await waitUntil(async () => (await decidedCount(serve, s.token, studyId)) >= 2, 'two experiments are decided');
      await waitUntil(async () => agentPids(s.nats.url).length === 2, 'two runs are in flight');
      const inFlight = agentPids(s.nats.url).map(runIdOfAgent);
      // Kill once both experiments are really running (their first log lines are in), not while the
      // agents are still fetching their revision from this controller.
      const observer = await openStore({ databaseUrl: s.database.url });
      try {
        await waitUntil(async () => (await Promise.all(inFlight.map((id) => observer.getLogs(id, { limit: 1 })))).every((l) => l.length > 0), 'both runs print');
      } finally {
        await observer.close();
      }
      await killHard(serve);
      // The standalone agents finish their runs and publish their results while no controller is up.
      await waitUntil(async () => agentPids(s.nats.url).length === 0, 'the orphaned agents finish', 60_000);

      serve = await startServe(['--slots', '2', '--data-dir', s.dir], s.env);
      try {
        await waitForStatus(serve.url, s.token, studyId, 'completed');
      } finally {
        await stopGracefully(serve);
      }
      const store = await openStore({ databaseUrl: s.database.url });
      try {
        const runs = await assertAccountedOnce(store, studyId, 8);
        for (const runId of inFlight) {
          const run = runs.find((r) => r.id === runId)!;
          assert.equal(run.status, 'succeeded', `run ${runId}, in flight at the kill, was ingested after the restart`);
          assert.equal(run.attempt, 1, 'and was not run again');
        }
        assert.ok(runs.every((r) => r.status === 'succeeded'), 'no run was lost for good');
        // A run claimed in the instant before the kill, whose agent could not fetch its revision from the
        // dead controller, is lost and run again as attempt 2; every other run went exactly once.
        const lost = new Set((await store.listEvents(studyId, { limit: 10_000 })).filter((e) => e.type === 'run.lost').map((e) => e.payload.runId));
        for (const run of runs) assert.equal(run.attempt, lost.has(run.id) ? 2 : 1, `run ${run.id}`);
      } finally {
        await store.close();
      }
    });
  });

  describe('NATS stopped for 5 seconds in the middle of a study', () => {
    let s: Stage;
    before(async () => {
      s = await stage('fault_nats', 1500);
    });
    after(async () => teardown(s));

    it('delivers every result once NATS is back', async () => {
      const serve = await startServe(['--slots', '2', '--data-dir', s.dir], s.env);
      let studyId = '';
      try {
        studyId = await submit(s, serve, 10);
        await waitUntil(async () => (await decidedCount(serve, s.token, studyId)) >= 2, 'two experiments are decided');
        await s.nats.stop();
        await sleep(5000);
        await s.nats.restart();
        await waitForStatus(serve.url, s.token, studyId, 'completed');
      } finally {
        await stopGracefully(serve);
      }
      const store = await openStore({ databaseUrl: s.database.url });
      try {
        const runs = await assertAccountedOnce(store, studyId, 10);
        assert.ok(runs.every((r) => r.status === 'succeeded'), 'every result arrived');
      } finally {
        await store.close();
      }
    });
  });

  describe('an agent killed or frozen in the middle of a run', () => {
    let s: Stage;
    before(async () => {
      s = await stage('fault_agent', 4000, { AUTORESEARCH_HEARTBEAT_TIMEOUT_SECONDS: '4', AUTORESEARCH_LOST_RETRIES: '1' });
    });
    after(async () => teardown(s));

    it('declares the run lost, retries it once, then records it as lost', async () => {
      const serve = await startServe(['--slots', '1', '--data-dir', s.dir], s.env);
      let studyId = '';
      let victim = '';
      try {
        studyId = await submit(s, serve, 3);
        // kill -9 of the agent: its exit is seen at once; the run is lost and queued again.
        await waitUntil(async () => agentPids(s.nats.url).length === 1, 'an agent is running');
        const [firstAgent] = agentPids(s.nats.url);
        victim = runIdOfAgent(firstAgent!);
        process.kill(firstAgent!, 'SIGKILL');
        // The retry: a new agent for the same run, attempt 2. Freeze it (SIGSTOP): it sends no more
        // heartbeats, so only the heartbeat timeout can tell it is gone.
        const isRetry = (pid: number) => pid !== firstAgent && runIdOfAgent(pid) === victim;
        await waitUntil(async () => agentPids(s.nats.url).some(isRetry), 'the run is retried', 60_000);
        const retried = agentPids(s.nats.url).find(isRetry)!;
        process.kill(retried, 'SIGSTOP');
        await waitForStatus(serve.url, s.token, studyId, 'stopped', 120_000);
      } finally {
        await stopGracefully(serve);
      }
      const store = await openStore({ databaseUrl: s.database.url });
      try {
        const run = (await store.getRun(victim))!;
        assert.equal(run.attempt, 2, 'retried once');
        assert.equal(run.status, 'lost');
        assert.match(run.reason ?? '', /no heartbeat for 4s/);
        const lostEvents = (await store.listEvents(studyId, { limit: 1000 })).filter((e) => e.type === 'run.lost');
        assert.deepEqual(lostEvents.map((e) => e.payload.retried), [true, false]);
        assert.match(String(lostEvents[0]!.payload.reason), /SIGKILL/);
        // The victim was a baseline run: the baseline failed, so the study stopped and said why.
        const baseline = (await store.getExperimentByNumber(studyId, 0))!;
        assert.equal(baseline.outcome, 'crash');
        assert.match(baseline.reason ?? '', /lost/);
      } finally {
        await store.close();
      }
    });
  });

  describe('two controllers at once, and one of them killed', () => {
    let s: Stage;
    before(async () => {
      // Agents start under tsx here, which on 2 cores shared with the rest of the suite can take seconds:
      // a tight heartbeat timeout would declare slow starters lost and churn, while the test is about the kill.
      s = await stage('fault_two_controllers', 1500, { AUTORESEARCH_HEARTBEAT_TIMEOUT_SECONDS: '12' });
    });
    after(async () => teardown(s));

    it('never schedules a run or makes a decision twice, and the survivor finishes the study', async () => {
      const first = await startServe(['--slots', '2', '--data-dir', s.dir], { ...s.env, AUTORESEARCH_CONTROLLER_ID: 'ctl-a' });
      const second = await startServe(['--slots', '2', '--data-dir', s.dir], { ...s.env, AUTORESEARCH_CONTROLLER_ID: 'ctl-b' });
      let studyId = '';
      try {
        studyId = await submit(s, first, 12);
        // Slow, not stuck, when the suite's heavier files share the 2 cores: the wait says where it got to.
        let decided = 0;
        await waitUntil(async () => (decided = await decidedCount(second, s.token, studyId)) >= 3, 'three experiments are decided', 240_000)
          .catch((error: Error) => {
            throw new Error(`${error.message} (${decided} decided); controller a:\n${first.output().slice(-3000)}`);
          });
        await killHard(first);
        await waitForStatus(second.url, s.token, studyId, 'completed');
      } finally {
        if (first.child.exitCode === null && first.child.signalCode === null) await killHard(first);
        await stopGracefully(second);
      }
      const store = await openStore({ databaseUrl: s.database.url });
      try {
        const runs = await assertAccountedOnce(store, studyId, 12);
        assert.ok(runs.every((r) => r.status === 'succeeded'), 'no run was lost for good');
        // A run of the killed controller whose agent could no longer fetch its revision is lost and run
        // again as a new attempt; any other run went exactly once.
        const lost = new Set((await store.listEvents(studyId, { limit: 10_000 })).filter((e) => e.type === 'run.lost').map((e) => e.payload.runId));
        for (const run of runs) assert.equal(run.attempt, lost.has(run.id) ? 2 : 1, `run ${run.id}`);
        const hosts = new Set(runs.map((r) => r.host));
        assert.ok(hosts.has('ctl-a') && hosts.has('ctl-b'), `both controllers ran experiments (${[...hosts].join(', ')})`);
        const experiments = await store.listExperiments(studyId, { limit: 100 });
        // Both controllers propose deterministically from the same heads: the store keeps one of each.
        const changes = experiments.filter((e) => e.changeKey !== null).map((e) => `${e.parentRevisionId}:${e.changeKey}`);
        assert.equal(new Set(changes).size, changes.length, 'no change was proposed twice from the same head');
      } finally {
        await store.close();
      }
    });
  });
});
