// The routes the dashboard reads, on a real Postgres: the chart's columns and their cursor, the cost
// aggregates, a skill study's eval rates, the queue with its fair shares and team scoping, the SSE
// streams (live, resumable with Last-Event-ID, scoped to a team, closed with the server), and / itself.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { storeTokenAuth } from '../../services/controller/src/api/auth.js';
import { buildApp } from '../../services/controller/src/app.js';
import { discoverSlots } from '../../services/controller/src/executors/local/discover-slots.js';
import { LocalExecutor } from '../../services/controller/src/executors/local/local-executor.js';
import { ControllerMetrics } from '../../services/controller/src/metrics/controller-metrics.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { SseParser } from '../../services/dashboard/src/api/sse-parser.js';
import { addExperiment, claimRequest, resultFor, seedStudy, spec, type Seeded } from '../store/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

describe('dashboard API', () => {
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  let alpha: { token: string; teamId: string };
  let beta: { token: string; teamId: string };
  let study: Seeded;
  let betaStudy: Seeded;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    database = await createTestDatabase('dashboard_api');
    store = await openStore({ databaseUrl: database.url });
    alpha = await store.createApiToken({ teamName: 'alpha', name: 'ada' });
    beta = await store.createApiToken({ teamName: 'beta', name: 'bob' });
    const executor = new LocalExecutor({
      slots: discoverSlots({ cudaVisibleDevices: undefined, cpuSlots: 2 }),
      channel: { kind: 'ipc', attach: () => {} },
      onAgentOutput: () => {},
      baseEnv: {},
      warmAgents: false,
    });
    app = await buildApp({ store, scheduler: null, auth: storeTokenAuth(store), metrics: new ControllerMetrics(), executor, controllerId: 'test-host' });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    study = await seedStudy(store, { teamId: alpha.teamId, status: 'running' });
    betaStudy = await seedStudy(store, { teamId: beta.teamId, status: 'running', priority: 3 });
  });

  after(async () => {
    await app.close();
    await store.close();
    await database.drop();
  });

  it('answers the chart columns of every experiment, and pages them with a cursor', async () => {
    const experiments = [];
    for (let i = 0; i < 3; i++) experiments.push(await addExperiment(store, study, 1));
    await store.decideExperiment({ experimentId: experiments[0]!.id, outcome: 'baseline', reason: 'baseline', score: 1.5, peakMemoryMb: null, stats: null });
    await store.decideExperiment({ experimentId: experiments[1]!.id, outcome: 'crash', reason: 'boom', score: null, peakMemoryMb: null, stats: null });
    const page = await app.inject({ method: 'GET', url: `/v1/studies/${study.study.id}/points`, headers: as(alpha.token) });
    assert.equal(page.statusCode, 200, page.body);
    const body = page.json();
    assert.deepEqual(body.number, [0, 1, 2]);
    assert.deepEqual(body.branch, [0, 0, 0]);
    assert.deepEqual(body.outcome, ['baseline', 'crash', null]);
    assert.deepEqual(body.score, [1.5, null, null]);
    assert.equal(typeof body.decidedAt[0], 'number');
    assert.equal(body.decidedAt[2], null);
    assert.equal(body.description[0], 'LR 0.01 -> 0.02');
    assert.equal(body.nextCursor, null);
    assert.ok(body.lastEventId > 0, 'the decisions were events');

    const first = (await app.inject({ method: 'GET', url: `/v1/studies/${study.study.id}/points?limit=2`, headers: as(alpha.token) })).json();
    assert.deepEqual(first.number, [0, 1]);
    assert.equal(first.nextCursor, 1);
    const second = (await app.inject({ method: 'GET', url: `/v1/studies/${study.study.id}/points?limit=2&cursor=1`, headers: as(alpha.token) })).json();
    assert.deepEqual(second.number, [2]);
    assert.equal(second.nextCursor, null);

    const tooMany = await app.inject({ method: 'GET', url: `/v1/studies/${study.study.id}/points?limit=50001`, headers: as(alpha.token) });
    assert.equal(tooMany.statusCode, 400, 'no unbounded page');
    assert.match(tooMany.json().message, /limit/);
    const foreign = await app.inject({ method: 'GET', url: `/v1/studies/${study.study.id}/points`, headers: as(beta.token) });
    assert.equal(foreign.statusCode, 404, "another team's study is not found");
    assert.equal((await app.inject({ method: 'GET', url: `/v1/studies/${study.study.id}/points` })).statusCode, 401);
  });

  it('sums GPU-hours from run durations and model usage from experiments', async () => {
    const seeded = await seedStudy(store, { teamId: alpha.teamId, status: 'running' });
    await store.createExperiment({
      id: randomUUID(), studyId: seeded.study.id, branchId: seeded.branch.id, parentRevisionId: seeded.revisionId,
      candidateRevisionId: seeded.revisionId, hypothesis: 'h', variable: 'LR', description: 'd', changeKey: 'k1', diff: '', repeats: 2,
      runIds: [randomUUID(), randomUUID()],
      modelUsage: { model: 'claude', calls: 2, inputTokens: 1000, outputTokens: 200, cacheCreationTokens: 50, cacheReadTokens: 700, costUsd: 0.0125 },
    });
    // Two runs of 5 minutes (resultFor's times) on a GPU slot: 10 GPU-minutes.
    for (let i = 0; i < 2; i++) {
      const run = (await store.claimQueuedRun(claimRequest([seeded.study.id], `gpu:${i}`)))!;
      assert.equal((await store.ingestResult(resultFor(run.id, run.attempt))).applied, true);
    }
    const cost = await app.inject({ method: 'GET', url: `/v1/studies/${seeded.study.id}/cost`, headers: as(alpha.token) });
    assert.equal(cost.statusCode, 200, cost.body);
    const body = cost.json();
    assert.equal(body.runs, 2);
    assert.ok(Math.abs(body.gpuHours - 10 / 60) < 1e-3, `gpuHours ${body.gpuHours}`);
    assert.ok(Math.abs(body.runHours - 10 / 60) < 1e-3);
    assert.deepEqual(body.mutator, { calls: 2, inputTokens: 1000, outputTokens: 200, cacheCreationTokens: 50, cacheReadTokens: 700, costUsd: 0.0125 });
    assert.deepEqual(body.skillRuns, { calls: 0, inputTokens: 0, outputTokens: 0 });
  });

  it("counts a skill study's passes per eval, a failed run failing them all", async () => {
    const skillSpec = { ...spec, flavor: 'skill' as const, skill: { evals: [{ name: 'short' }, { name: 'summary' }] } } as unknown as typeof spec;
    const seeded = await seedStudy(store, { teamId: alpha.teamId, status: 'running' });
    await store.db.execute(sql`UPDATE studies SET spec = ${JSON.stringify(skillSpec)}::jsonb WHERE id = ${seeded.study.id}`);
    await addExperiment(store, seeded, 2);
    const verdicts = [{ eval: 'short', pass: true, evidence: '4 words' }, { eval: 'summary', pass: false, evidence: 'x', reason: 'no' }];
    const skill = { input: 'alpha', holdout: false, output: 'Dark mode ships.', modelCalls: 2, inputTokens: 120, outputTokens: 30, verdicts };
    const ok = (await store.claimQueuedRun(claimRequest([seeded.study.id], 'cpu:0')))!;
    await store.ingestResult({ ...resultFor(ok.id, ok.attempt), metrics: { pass_rate: 0.5 }, skill });
    const failed = (await store.claimQueuedRun(claimRequest([seeded.study.id], 'cpu:1')))!;
    await store.ingestResult({ ...resultFor(failed.id, failed.attempt), status: 'crashed', exitCode: 1, reason: 'model error', metrics: {}, skill: { ...skill, verdicts: verdicts.map((v) => ({ ...v, pass: true })) } });
    const rates = await app.inject({ method: 'GET', url: `/v1/studies/${seeded.study.id}/eval-rates`, headers: as(alpha.token) });
    assert.equal(rates.statusCode, 200, rates.body);
    assert.deepEqual(rates.json(), { evals: ['short', 'summary'], items: [{ number: 0, outcome: null, runs: 2, passes: { short: 1 } }], nextCursor: null });
    const cost = (await app.inject({ method: 'GET', url: `/v1/studies/${seeded.study.id}/cost`, headers: as(alpha.token) })).json();
    assert.deepEqual(cost.skillRuns, { calls: 4, inputTokens: 240, outputTokens: 60 });
    const training = await app.inject({ method: 'GET', url: `/v1/studies/${study.study.id}/eval-rates`, headers: as(alpha.token) });
    assert.equal(training.statusCode, 409);
  });

  it("shows the slots and fair shares, naming only the caller's team's studies", async () => {
    const queueStudy = await seedStudy(store, { teamId: alpha.teamId, status: 'running' });
    await addExperiment(store, queueStudy, 3);
    await addExperiment(store, betaStudy, 3);
    const mine = (await store.claimQueuedRun({ ...claimRequest([queueStudy.study.id], 'cpu:0'), host: 'test-host' }))!;
    await store.claimQueuedRun({ ...claimRequest([betaStudy.study.id], 'cpu:1'), host: 'test-host' });
    await store.claimQueuedRun({ ...claimRequest([betaStudy.study.id], 'cpu:0'), host: 'another-controller' });
    const answer = await app.inject({ method: 'GET', url: '/v1/queue', headers: as(alpha.token) });
    assert.equal(answer.statusCode, 200, answer.body);
    const queue = answer.json();
    assert.equal(queue.placement, 'slots');
    assert.equal(queue.capacity, 2);
    assert.equal(queue.free, 0);
    assert.deepEqual(queue.slots.map((s: { name: string }) => s.name), ['cpu:0', 'cpu:1']);
    assert.equal(queue.slots[0].holder.runId, mine.id);
    assert.equal(queue.slots[0].holder.studyId, queueStudy.study.id);
    assert.deepEqual(queue.slots[1].holder, { visible: false, runId: null, studyId: null, studyName: null, experimentNumber: null, startedAt: null, slot: 'cpu:1', host: 'test-host', gpus: 1 });
    assert.equal(queue.elsewhere.length, 1, "the other controller's run");
    assert.equal(queue.elsewhere[0].visible, false);
    const ids = queue.studies.map((s: { id: string }) => s.id);
    assert.ok(ids.includes(queueStudy.study.id));
    assert.ok(!ids.includes(betaStudy.study.id), "beta's study is not named to alpha");
    const row = queue.studies.find((s: { id: string }) => s.id === queueStudy.study.id);
    assert.deepEqual([row.running, row.queued, row.share], [1, 2, 1]);
    assert.ok(row.entitled > 0);
    assert.equal(queue.otherTeams.running, 2);
    const betaView = (await app.inject({ method: 'GET', url: '/v1/queue', headers: as(beta.token) })).json();
    assert.ok(betaView.studies.some((s: { id: string }) => s.id === betaStudy.study.id));
    assert.equal(betaView.slots[1].holder.visible, true);
  });

  it('streams events live, resumes after Last-Event-ID, and scopes the team stream', async () => {
    const stream = await openStream(`${url}/v1/studies/${study.study.id}/stream?after=0`, alpha.token);
    const seen = await stream.until((events) => events.some((e) => e.type === 'experiment.decided'));
    assert.ok(seen.length >= 2, 'the log from the start');
    await store.appendEvent(study.study.id, 'study.stopping', { reason: 'test' });
    const live = await stream.until((events) => events.some((e) => e.type === 'study.stopping'));
    const lastId = live[live.length - 1]!.id;
    stream.close();

    await store.appendEvent(study.study.id, 'study.stopped', { status: 'stopped' });
    const resumed = await openStream(`${url}/v1/studies/${study.study.id}/stream`, alpha.token, String(lastId));
    const after = await resumed.until((events) => events.length > 0);
    assert.equal(after[0]!.type, 'study.stopped', 'the first event after the last one seen, nothing twice');
    resumed.close();

    const teamStream = await openStream(`${url}/v1/stream?after=0`, beta.token);
    await store.appendEvent(betaStudy.study.id, 'study.paused', { reason: 'beta' });
    const betaEvents = await teamStream.until((events) => events.some((e) => e.type === 'study.paused'));
    assert.ok(betaEvents.every((e) => e.studyId === betaStudy.study.id), "only beta's studies");
    teamStream.close();

    const refused = await fetch(`${url}/v1/studies/${study.study.id}/stream`, { headers: as(beta.token) });
    assert.equal(refused.status, 404);
  });

  it('serves the dashboard at / without a token, with a content security policy', async () => {
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /app\.js/);
    const script = await fetch(`${url}/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${url}/v1/nothing-here`)).status, 401, 'the API still needs its token');
  });

  it('closes promptly with a stream open', async () => {
    const other = await buildApp({ store, scheduler: null, auth: { mode: 'open' }, metrics: new ControllerMetrics() });
    const address = await other.listen({ host: '127.0.0.1', port: 0 });
    const stream = await openStream(`${address}/v1/stream`, undefined);
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 3000, `closed in ${Date.now() - started} ms`);
    stream.close();
  });
});

interface StreamedEvent {
  id: number;
  studyId: string | null;
  type: string;
}

/** Reads an SSE response as the dashboard does (fetch and the same parser). */
async function openStream(url: string, token: string | undefined, lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const response = await fetch(url, { headers, signal: controller.signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const events: StreamedEvent[] = [];
  return {
    async until(done: (events: StreamedEvent[]) => boolean, timeoutMs = 5000): Promise<StreamedEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (!done(events)) {
        if (Date.now() > deadline) throw new Error(`timed out with ${JSON.stringify(events.map((e) => e.type))}`);
        const { value, done: ended } = await reader.read();
        if (ended) throw new Error('the stream ended');
        for (const message of parser.push(value)) {
          const event = JSON.parse(message.data) as StreamedEvent;
          assert.equal(message.event, event.type);
          assert.equal(message.lastEventId, String(event.id));
          events.push(event);
        }
      }
      return events;
    },
    close() {
      controller.abort();
    },
  };
}
