// The REST API through Fastify's inject: no port, no mock; a real Postgres behind it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { sha256Hex } from '../../services/controller/src/api/auth.js';
import { buildApp } from '../../services/controller/src/app.js';
import { createStudy } from '../../services/controller/src/scheduler/study-lifecycle.js';
import { hashSpec, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { StudyRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

const API_TOKEN = 'team-token-0123456789abcdef';

describe('REST API', () => {
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;
  let securedApp: FastifyInstance;
  let study: StudyRow;

  before(async () => {
    database = await createTestDatabase('api');
    store = await openStore({ databaseUrl: database.url });
    const spec = validateStudySpec(parse(SURROGATE_SPEC));
    study = await createStudy(store, {
      spec, specHash: hashSpec(spec), sourceDir: null,
      files: [{ path: 'train.js', content: Buffer.from(SURROGATE_SCRIPT), mode: 0o644 }, { path: 'data.bin', content: Buffer.from([0, 255, 1]), mode: 0o644 }],
    });
    app = await buildApp({ store, scheduler: null, auth: { apiTokenHashes: [] } });
    securedApp = await buildApp({ store, scheduler: null, auth: { apiTokenHashes: [sha256Hex(API_TOKEN)] } });
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
    assert.equal(list.json().items[0].id, study.id);
    assert.equal(list.json().items[0].specHash, undefined);
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
    // Another run's token, no token, and a token after the run finished all get 401.
    const wrongRun = await app.inject({ method: 'GET', url: `/v1/runs/${other.id}/assignment`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(wrongRun.statusCode, 401);
    const none = await app.inject({ method: 'GET', url: `/v1/runs/${run.id}/assignment` });
    assert.equal(none.statusCode, 401);
    await store.finishRun(run.id, run.attempt, { status: 'lost', reason: 'test' });
    const finished = await app.inject({ method: 'GET', url: `/v1/runs/${run.id}/assignment`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(finished.statusCode, 401);
    // The API token does not open it either: run routes are for run tokens only.
    const apiToken = await securedApp.inject({ method: 'GET', url: `/v1/runs/${other.id}/assignment`, headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.equal(apiToken.statusCode, 401);
  });

  it('needs an API token on every /v1 route when tokens are configured', async () => {
    for (const url of ['/v1/studies', `/v1/studies/${study.id}`, `/v1/studies/${study.id}/experiments`, `/v1/studies/${study.id}/exports/results.tsv`]) {
      const anonymous = await securedApp.inject({ method: 'GET', url });
      assert.equal(anonymous.statusCode, 401, url);
      const wrong = await securedApp.inject({ method: 'GET', url, headers: { authorization: 'Bearer not-the-token-at-all' } });
      assert.equal(wrong.statusCode, 401, url);
      const right = await securedApp.inject({ method: 'GET', url, headers: { authorization: `Bearer ${API_TOKEN}` } });
      assert.equal(right.statusCode, 200, url);
    }
    assert.equal((await securedApp.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });

  it('refuses to stop from a read-only server, and is ready while the database answers', async () => {
    const response = await app.inject({ method: 'POST', url: `/v1/studies/${study.id}/stop` });
    assert.equal(response.statusCode, 409);
    // And readyz reflects the database.
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });
});
