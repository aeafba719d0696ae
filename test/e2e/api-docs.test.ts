// The OpenAPI document at /docs: every /v1 route the app serves (found from the router itself, so routes
// added later are covered too) is in it, with its summary, tags, path parameters, request body and
// responses, and /docs needs no token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { storeTokenAuth } from '../../services/controller/src/api/auth.js';
import { buildApp } from '../../services/controller/src/app.js';
import { ControllerMetrics } from '../../services/controller/src/metrics/controller-metrics.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: { type?: unknown } }[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> };
  responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }>;
  security?: Record<string, string[]>[];
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Every (method, URL) the router holds, read from printRoutes' tree: one line per path segment. */
function servedRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const routes = new Map<string, { method: string; url: string }>();
  const segments: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    segments.length = match[1]!.length / 4;
    segments.push(match[2]!);
    // A prefixed `/` route is served with and without its trailing slash: one route.
    const url = segments.join('').replace(/(.)\/$/, '$1');
    for (const method of match[3]?.split(', ') ?? []) {
      if (method !== 'HEAD') routes.set(`${method} ${url}`, { method, url });
    }
  }
  return [...routes.values()];
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI at /docs', () => {
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;
  let doc: OpenApi;

  before(async () => {
    database = await createTestDatabase('api_docs');
    store = await openStore({ databaseUrl: database.url });
    app = await buildApp({ store, scheduler: null, auth: { mode: 'open' }, metrics: new ControllerMetrics() });
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(response.statusCode, 200, response.body);
    doc = response.json();
  });

  after(async () => {
    await app.close();
    await store.close();
    await database.drop();
  });

  it('documents every /v1 route with its summary, tags, path parameters and responses', () => {
    assert.equal(doc.openapi, '3.1.0');
    const routes = servedRoutes(app).filter((r) => r.url.startsWith('/v1/') || r.url === '/v1');
    assert.ok(routes.length >= 15, `the router shows the API's routes: ${JSON.stringify(routes)}`);
    for (const { method, url } of routes) {
      const where = `${method} ${url}`;
      const operation = doc.paths[openApiPath(url)]?.[method.toLowerCase()];
      assert.ok(operation, `${where} is in the OpenAPI document`);
      assert.ok(operation.summary && operation.summary.length > 10, `${where} has a summary`);
      assert.ok((operation.tags ?? []).length > 0, `${where} has a tag`);
      assert.ok(Object.keys(operation.responses).some((status) => /^2\d\d$/.test(status)), `${where} documents its success`);
      assert.ok((operation.security ?? []).length > 0, `${where} names its token`);
      for (const [, name] of url.matchAll(/:([A-Za-z0-9_]+)/g)) {
        const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
        assert.ok(parameter?.required && parameter.schema?.type, `${where} documents its path parameter ${name} with a schema`);
      }
    }
  });

  it("documents each route's request body: a body the route's own schema refuses means the document has that schema", async () => {
    const writes = servedRoutes(app).filter((r) => r.url.startsWith('/v1/') && ['POST', 'PUT', 'PATCH'].includes(r.method));
    assert.ok(writes.length >= 4);
    let withBody = 0;
    for (const { method, url } of writes) {
      // A JSON array is no route's body: a route that validates its body refuses it before its handler runs.
      const response = await app.inject({ method: method as 'POST', url: url.replace(/:[A-Za-z0-9_]+/g, 'x'), payload: [] });
      if (response.statusCode !== 400 || !/^body/.test(response.json().fields?.[0]?.path ?? '')) continue;
      withBody += 1;
      const body = doc.paths[openApiPath(url)]![method.toLowerCase()]!.requestBody;
      assert.ok(body?.content['application/json']?.schema, `${method} ${url} documents the body it validates`);
    }
    assert.ok(withBody >= 1, 'POST /v1/studies validates its body');
  });

  it('shows the schemas themselves: the study upload, the paging parameters and the records returned', () => {
    const create = doc.paths['/v1/studies']!.post!;
    const upload = create.requestBody!.content['application/json']!.schema;
    assert.deepEqual(Object.keys(upload.properties!).sort(), ['files', 'owner', 'priority', 'spec']);
    assert.deepEqual(upload.required!.sort(), ['files', 'spec']);
    assert.ok(create.responses['201']!.content!['application/json']!.schema.properties!.status);
    assert.ok(create.responses['400'], 'a bad upload is documented');
    const list = doc.paths['/v1/studies']!.get!;
    assert.deepEqual(list.parameters!.filter((p) => p.in === 'query').map((p) => p.name).sort(), ['cursor', 'limit']);
    const detail = doc.paths['/v1/studies/{id}']!.get!.responses['200']!.content!['application/json']!.schema.properties!;
    for (const field of ['id', 'status', 'spec', 'progress', 'branches', 'createdAt']) assert.ok(detail[field], `the study detail has ${field}`);
    const experiment = doc.paths['/v1/studies/{id}/experiments/{number}']!.get!.responses['200']!.content!['application/json']!.schema.properties!;
    for (const field of ['number', 'outcome', 'reason', 'diff', 'runs', 'stats']) assert.ok(experiment[field], `the experiment has ${field}`);
    const logs = doc.paths['/v1/runs/{id}/logs']!.get!;
    assert.deepEqual(logs.parameters!.filter((p) => p.in === 'query').map((p) => p.name).sort(), ['cursor', 'limit']);
    assert.deepEqual(doc.paths['/v1/runs/{id}/assignment']!.get!.security, [{ runToken: [] }]);
    assert.ok(doc.paths['/v1/studies/{id}/exports/results.tsv']!.get!.responses['200']!.content!['text/tab-separated-values']);
  });

  it('documents the operations routes and nothing that is not API', () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) assert.ok(doc.paths[url]?.get?.summary, `${url} is documented`);
    for (const path of Object.keys(doc.paths)) {
      assert.ok(path.startsWith('/v1/') || ['/healthz', '/readyz', '/metrics'].includes(path), `${path} belongs in the API document`);
    }
  });

  it('serves /docs without a token, while /v1 still needs one', async () => {
    const secured = await buildApp({ store, scheduler: null, auth: storeTokenAuth(store), metrics: new ControllerMetrics() });
    try {
      const page = await secured.inject({ method: 'GET', url: '/docs' });
      assert.ok(page.statusCode === 200 || page.statusCode === 302, `/docs answers ${page.statusCode}`);
      const html = page.statusCode === 302 ? await secured.inject({ method: 'GET', url: page.headers.location as string }) : page;
      assert.match(html.body, /swagger-ui/i);
      assert.equal((await secured.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200);
      const asset = await secured.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' });
      assert.equal(asset.statusCode, 200, 'the UI’s assets are served under /docs');
      assert.equal((await secured.inject({ method: 'GET', url: '/v1/studies' })).statusCode, 401);
    } finally {
      await secured.close();
    }
  });

  it('serves the records as documented: nothing dropped, timestamps as ISO strings, nulls kept', async () => {
    const created = await app.inject({
      method: 'POST', url: '/v1/studies',
      payload: {
        spec: {
          name: 'docs', flavor: 'training', workspace: { mutable: ['train.js'] }, objective: { metric: 'loss', direction: 'minimize' },
          run: { command: 'node train.js', budgetSeconds: 5 }, mutator: { kind: 'params', params: [{ name: 'LR', file: 'train.js', min: 0.001, max: 1 }] },
        },
        files: [{ path: 'train.js', contentBase64: Buffer.from('const LR = 0.01;\n').toString('base64') }],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const study = created.json();
    const stored = (await store.getStudy(study.id))!;
    const { specHash: _hash, ...expected } = stored;
    assert.deepEqual(study, JSON.parse(JSON.stringify(expected)), 'exactly the stored study, as JSON');
    assert.equal(study.stoppedAt, null);
    const baseline = (await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/experiments/0` })).json();
    const row = (await store.getExperimentByNumber(study.id, 0))!;
    const runs = await store.listRuns(row.id);
    assert.deepEqual(baseline, JSON.parse(JSON.stringify({ ...row, runs: runs.map(({ tokenHash: _t, ...run }) => run) })));
  });
});
