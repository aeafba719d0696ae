import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { AssignmentFetchError } from '../../services/agent/src/errors.js';
import { assignmentUrl, fetchAssignment, type RetryPolicy } from '../../services/agent/src/fetch-assignment.js';
import { makeAssignment, startAssignmentServer, type AssignmentServer } from '../support/assignment-server.js';

const FAST: RetryPolicy = { totalMs: 2_000, initialDelayMs: 10, maxDelayMs: 50, requestTimeoutMs: 1_000 };
const servers: AssignmentServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

async function serve(options: Parameters<typeof startAssignmentServer>[0]) {
  const server = await startAssignmentServer(options);
  servers.push(server);
  return server;
}

const failure = (kind: string, pattern: RegExp) => (error: unknown) =>
  error instanceof AssignmentFetchError && error.failure === kind && pattern.test(error.message);

describe('fetchAssignment', () => {
  it('fetches and validates the assignment with the bearer token', async () => {
    const assignment = makeAssignment({ files: { 'train.py': 'print(1)' } });
    const server = await serve({ assignment, token: 'tok' });
    const got = await fetchAssignment({ controllerUrl: new URL(server.url), runId: 'run-1', token: 'tok' }, FAST);
    assert.deepEqual(got, assignment);
    assert.deepEqual(server.requests, [{ path: '/v1/runs/run-1/assignment', status: 200 }]);
  });

  it('fails at once on a wrong token, without retrying', async () => {
    const server = await serve({ assignment: makeAssignment(), token: 'tok' });
    await assert.rejects(
      fetchAssignment({ controllerUrl: new URL(server.url), runId: 'run-1', token: 'wrong' }, FAST),
      failure('unauthorized', /rejected the run token \(401\).*a valid bearer token is required/),
    );
    assert.equal(server.requests.length, 1);
  });

  it('fails at once on an unknown run', async () => {
    const server = await serve({ assignment: makeAssignment(), token: 'tok' });
    await assert.rejects(
      fetchAssignment({ controllerUrl: new URL(server.url), runId: 'other', token: 'tok' }, FAST),
      failure('not-found', /does not know this run \(404\)/),
    );
  });

  it('retries 5xx until the controller answers', async () => {
    const server = await serve({ assignment: makeAssignment(), token: 'tok', unavailableFirst: 3 });
    const got = await fetchAssignment({ controllerUrl: new URL(server.url), runId: 'run-1', token: 'tok' }, FAST);
    assert.equal(got.runId, 'run-1');
    assert.deepEqual(server.requests.map((r) => r.status), [503, 503, 503, 200]);
  });

  it('gives up on an unreachable controller after the retry budget', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    await assert.rejects(
      fetchAssignment({ controllerUrl: new URL(`http://127.0.0.1:${port}`), runId: 'run-1', token: 'tok' }, { ...FAST, totalMs: 300 }),
      failure('unreachable', /could not fetch the assignment .* after \d+ attempts.*ECONNREFUSED/),
    );
    assert.ok(Date.now() - started < 2_000);
  });

  it('refuses an assignment that does not match the schema', async () => {
    const broken = { ...makeAssignment(), budgetSeconds: 'soon' } as unknown as ReturnType<typeof makeAssignment>;
    const server = await serve({ assignment: broken, token: 'tok' });
    await assert.rejects(
      fetchAssignment({ controllerUrl: new URL(server.url), runId: 'run-1', token: 'tok' }, FAST),
      failure('invalid', /budgetSeconds: expected a number/),
    );
  });

  it('can be abandoned while waiting', async () => {
    const server = await serve({ assignment: makeAssignment(), token: 'tok', unavailableFirst: 1000 });
    const abandon = new AbortController();
    setTimeout(() => abandon.abort(new Error('controller gone')), 50);
    await assert.rejects(fetchAssignment({ controllerUrl: new URL(server.url), runId: 'run-1', token: 'tok' }, FAST, abandon.signal), /controller gone/);
  });
});

describe('assignmentUrl', () => {
  it('keeps a base path and encodes the run id', () => {
    assert.equal(assignmentUrl(new URL('http://c:1/prefix'), 'a b').href, 'http://c:1/prefix/v1/runs/a%20b/assignment');
    assert.equal(assignmentUrl(new URL('http://c:1/'), 'r').href, 'http://c:1/v1/runs/r/assignment');
  });
});
