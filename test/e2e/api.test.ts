// The REST API through Fastify's inject: no port, no mock; a real Postgres behind it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { sha256Hex, storeTokenAuth } from '../../services/controller/src/api/auth.js';
import { buildApp } from '../../services/controller/src/app.js';
import { ControllerMetrics } from '../../services/controller/src/metrics/controller-metrics.js';
import { createStudy } from '../../services/controller/src/scheduler/study-lifecycle.js';
import { hashSpec, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { StudyRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

describe('REST API', () => {
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;
  let securedApp: FastifyInstance;
  let study: StudyRow;
  /** Tokens of two teams, and a study of the first one, submitted through the API. */
  let alphaToken: string;
  let betaToken: string;
  let alphaStudyId: string;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    database = await createTestDatabase('api');
    store = await openStore({ databaseUrl: database.url });
    const spec = validateStudySpec(parse(SURROGATE_SPEC));
    study = await createStudy(store, {
      spec, specHash: hashSpec(spec), sourceDir: null,
      files: [{ path: 'train.js', content: Buffer.from(SURROGATE_SCRIPT), mode: 0o644 }, { path: 'data.bin', content: Buffer.from([0, 255, 1]), mode: 0o644 }],
    });
    app = await buildApp({ store, scheduler: null, auth: { mode: 'open' }, metrics: new ControllerMetrics() });
    securedApp = await buildApp({ store, scheduler: null, auth: storeTokenAuth(store), metrics: new ControllerMetrics() });
    alphaToken = (await store.createApiToken({ teamName: 'alpha', name: 'ada' })).token;
    betaToken = (await store.createApiToken({ teamName: 'beta', name: 'bob' })).token;
    const created = await securedApp.inject({
      method: 'POST', url: '/v1/studies', headers: as(alphaToken),
      payload: { spec: parse(SURROGATE_SPEC), files: [{ path: 'train.js', contentBase64: Buffer.from(SURROGATE_SCRIPT).toString('base64') }] },
    });
    assert.equal(created.statusCode, 201, created.body);
    alphaStudyId = created.json().id;
  });

  after(async () => {
    await app.close();
    await securedApp.close();
    await store.close();
    await database.drop();
  });

  it('lists and gets studies with their progress', async () => {
    const list = await app.inject({ method: 'GET', url: '/v1/studies?limit=10' });
    assert.equal(list.statusCode, 200);
    const listed = list.json().items.find((s: { id: string }) => s.id === study.id);
    assert.ok(listed, 'the open API lists every team’s studies');
    assert.equal(listed.specHash, undefined);
    const one = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}` });
    assert.equal(one.json().progress.created, 1);
    assert.equal(one.json().branches.length, 1);
  });

  it('answers 404 for an unknown study and 400 naming a bad query field', async () => {
    const missing = await app.inject({ method: 'GET', url: '/v1/studies/nope' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().message, /study nope not found/);
    const bad = await app.inject({ method: 'GET', url: '/v1/studies?limit=0' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /limit/);
  });

  it('pages experiments with a cursor and shows one with its runs', async () => {
    const page = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/experiments?limit=1` });
    assert.equal(page.statusCode, 200);
    assert.equal(page.json().items.length, 1);
    assert.equal(page.json().nextCursor, 0);
    const next = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/experiments?limit=1&cursor=0` });
    assert.deepEqual(next.json().items, []);
    const baseline = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/experiments/0` });
    assert.equal(baseline.json().runs.length, 3);
    assert.equal(baseline.json().runs[0].tokenHash, undefined);
  });

  it('rejects a study upload with a bad spec, naming the field, and creates nothing', async () => {
    const before = (await store.listStudies({ limit: 100 })).items.length;
    const spec = parse(SURROGATE_SPEC);
    spec.workspace.mutable = ['../../etc/passwd'];
    const response = await app.inject({
      method: 'POST', url: '/v1/studies',
      payload: { spec, files: [{ path: 'train.js', contentBase64: Buffer.from(SURROGATE_SCRIPT).toString('base64') }] },
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().fields[0], { path: 'workspace.mutable[0]', message: '"../../etc/passwd" escapes the study folder' });
    const escapingFile = await app.inject({
      method: 'POST', url: '/v1/studies',
      payload: { spec: parse(SURROGATE_SPEC), files: [{ path: '../train.js', contentBase64: '' }] },
    });
    assert.equal(escapingFile.statusCode, 400);
    assert.equal(escapingFile.json().fields[0].path, 'files[0].path');
    const missingSpec = await app.inject({ method: 'POST', url: '/v1/studies', payload: { files: [] } });
    assert.equal(missingSpec.statusCode, 400);
    assert.match(missingSpec.json().message, /spec/);
    assert.equal((await store.listStudies({ limit: 100 })).items.length, before);
  });

  it('creates a study from an upload', async () => {
    const response = await app.inject({
      method: 'POST', url: '/v1/studies',
      payload: { spec: parse(SURROGATE_SPEC), files: [{ path: 'train.js', contentBase64: Buffer.from(SURROGATE_SCRIPT).toString('base64') }] },
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().status, 'running');
    assert.equal(await store.countExperiments(response.json().id), 1);
  });

  it('serves exports at any time', async () => {
    const tsv = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/exports/results.tsv` });
    assert.equal(tsv.statusCode, 200);
    assert.match(tsv.headers['content-type'] as string, /text\/tab-separated-values/);
    assert.equal(tsv.body, 'commit\tval_bpb\tmemory_gb\tstatus\tdescription\n');
    const changelog = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/exports/changelog.md` });
    assert.match(changelog.body, /^# Changelog: surrogate/);
    const best = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/exports/best` });
    assert.deepEqual(best.json().files.map((f: { path: string }) => f.path), ['train.js']);
  });

  it('gives a revision only to the agent holding that run’s token', async () => {
    const token = 'run-token-for-this-run-only';
    const run = await store.claimQueuedRun({ studyIds: [study.id], slot: 'cpu:0', tokenHash: sha256Hex(token), host: 'test' });
    assert.ok(run);
    const other = await store.claimQueuedRun({ studyIds: [study.id], slot: 'cpu:1', tokenHash: sha256Hex('another-token'), host: 'test' });
    assert.ok(other);
    const ok = await app.inject({ method: 'GET', url: `/v1/runs/${run.id}/assignment`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.statusCode, 200);
    const assignment = ok.json();
    assert.equal(assignment.objectiveMetric, 'val_bpb');
    assert.equal(assignment.attempt, 1);
    const data = assignment.files.find((f: { path: string }) => f.path === 'data.bin');
    assert.deepEqual([...Buffer.from(data.contentBase64, 'base64')], [0, 255, 1]);
    // Another running run's token gets 403; no token, an unknown token, and a token after the run
    // finished get 401.
    const wrongRun = await app.inject({ method: 'GET', url: `/v1/runs/${other.id}/assignment`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(wrongRun.statusCode, 403);
    assert.equal(wrongRun.json().message, 'this token belongs to another run');
    const unknown = await app.inject({ method: 'GET', url: `/v1/runs/${run.id}/assignment`, headers: { authorization: 'Bearer no-run-has-this' } });
    assert.equal(unknown.statusCode, 401);
    const none = await app.inject({ method: 'GET', url: `/v1/runs/${run.id}/assignment` });
    assert.equal(none.statusCode, 401);
    await store.finishRun(run.id, run.attempt, { status: 'lost', reason: 'test' });
    const finished = await app.inject({ method: 'GET', url: `/v1/runs/${run.id}/assignment`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(finished.statusCode, 401);
    const finishedElsewhere = await app.inject({ method: 'GET', url: `/v1/runs/${other.id}/assignment`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(finishedElsewhere.statusCode, 401, 'a finished run’s token is nobody’s: 401, not 403');
    // The API token does not open it either: run routes are for run tokens only.
    const apiToken = await securedApp.inject({ method: 'GET', url: `/v1/runs/${other.id}/assignment`, headers: as(alphaToken) });
    assert.equal(apiToken.statusCode, 401);
    assert.ok(sha256Hex(token) !== run.id);
  });

  it('needs a team token on every /v1 route when tokens are configured', async () => {
    for (const url of ['/v1/studies', `/v1/studies/${alphaStudyId}`, `/v1/studies/${alphaStudyId}/experiments`, `/v1/studies/${alphaStudyId}/exports/results.tsv`]) {
      const anonymous = await securedApp.inject({ method: 'GET', url });
      assert.equal(anonymous.statusCode, 401, url);
      assert.match(anonymous.json().message, /needs an API token: send Authorization: Bearer/);
      const wrong = await securedApp.inject({ method: 'GET', url, headers: as('ar_not-the-token-at-all') });
      assert.equal(wrong.statusCode, 401, url);
      assert.match(wrong.json().message, /not valid/);
      const right = await securedApp.inject({ method: 'GET', url, headers: as(alphaToken) });
      assert.equal(right.statusCode, 200, url);
    }
    assert.equal((await securedApp.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });

  it('puts a study submitted with a token in its team, with the owner and priority asked for', async () => {
    const alpha = await store.getStudy(alphaStudyId);
    assert.equal(alpha?.teamId, (await store.getTeamByName('alpha'))?.id);
    assert.equal(alpha?.owner, 'ada', 'the owner defaults to the token’s name');
    assert.equal(alpha?.priority, 1);
    const files = [{ path: 'train.js', contentBase64: Buffer.from(SURROGATE_SCRIPT).toString('base64') }];
    const weighted = await securedApp.inject({
      method: 'POST', url: '/v1/studies', headers: as(betaToken),
      payload: { spec: parse(SURROGATE_SPEC), files, owner: 'carol', priority: 3 },
    });
    assert.equal(weighted.statusCode, 201, weighted.body);
    assert.deepEqual([weighted.json().owner, weighted.json().priority, weighted.json().teamId], ['carol', 3, (await store.getTeamByName('beta'))?.id]);
    const badPriority = await securedApp.inject({
      method: 'POST', url: '/v1/studies', headers: as(betaToken), payload: { spec: parse(SURROGATE_SPEC), files, priority: 0 },
    });
    assert.equal(badPriority.statusCode, 400);
    assert.equal(badPriority.json().fields[0].path, 'body.priority');
    // Each team lists its own studies only.
    const betaList = await securedApp.inject({ method: 'GET', url: '/v1/studies', headers: as(betaToken) });
    assert.deepEqual(betaList.json().items.map((s: { id: string }) => s.id), [weighted.json().id]);
    const alphaList = await securedApp.inject({ method: 'GET', url: '/v1/studies', headers: as(alphaToken) });
    assert.deepEqual(alphaList.json().items.map((s: { id: string }) => s.id), [alphaStudyId]);
  });

  it('answers 404 for another team’s study and its runs, exactly as for a missing one', async () => {
    const [baseline] = await store.listExperiments(alphaStudyId, { limit: 1 });
    const [run] = await store.listRuns(baseline!.id);
    const urls = [
      ['GET', `/v1/studies/${alphaStudyId}`],
      ['GET', `/v1/studies/${alphaStudyId}/experiments`],
      ['GET', `/v1/studies/${alphaStudyId}/experiments/0`],
      ['GET', `/v1/studies/${alphaStudyId}/events`],
      ['GET', `/v1/studies/${alphaStudyId}/exports/results.tsv`],
      ['GET', `/v1/studies/${alphaStudyId}/exports/changelog.md`],
      ['GET', `/v1/studies/${alphaStudyId}/exports/best`],
      ['POST', `/v1/studies/${alphaStudyId}/stop`],
      ['POST', `/v1/studies/${alphaStudyId}/resume`],
      ['GET', `/v1/runs/${run!.id}`],
      ['GET', `/v1/runs/${run!.id}/logs`],
      ['GET', `/v1/runs/${run!.id}/metrics`],
    ] as const;
    for (const [method, url] of urls) {
      const foreign = await securedApp.inject({ method, url, headers: as(betaToken) });
      assert.equal(foreign.statusCode, 404, `${method} ${url}`);
      const missing = await securedApp.inject({ method, url: url.replace(alphaStudyId, 'no-such-study').replace(run!.id, 'no-such-run'), headers: as(betaToken) });
      assert.equal(missing.statusCode, 404);
      assert.equal(foreign.json().message.replace(alphaStudyId, 'X').replace(run!.id, 'X'), missing.json().message.replace('no-such-study', 'X').replace('no-such-run', 'X'));
    }
    // The owning team gets through to the route itself (stop refuses only because this server is read-only).
    assert.equal((await securedApp.inject({ method: 'GET', url: `/v1/runs/${run!.id}`, headers: as(alphaToken) })).statusCode, 200);
    assert.equal((await securedApp.inject({ method: 'POST', url: `/v1/studies/${alphaStudyId}/stop`, headers: as(alphaToken) })).statusCode, 409);
  });

  it('refuses a revoked token', async () => {
    const { token, id } = await store.createApiToken({ teamName: 'alpha', name: 'temporary' });
    assert.equal((await securedApp.inject({ method: 'GET', url: '/v1/studies', headers: as(token) })).statusCode, 200);
    await store.revokeApiToken(id);
    assert.equal((await securedApp.inject({ method: 'GET', url: '/v1/studies', headers: as(token) })).statusCode, 401);
  });

  it('refuses to stop from a read-only server, and is ready while the database answers', async () => {
    const response = await app.inject({ method: 'POST', url: `/v1/studies/${study.id}/stop` });
    assert.equal(response.statusCode, 409);
    // And readyz reflects the database.
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });
});
