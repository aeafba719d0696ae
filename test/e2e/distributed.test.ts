// Distributed mode end to end: `serve` on the real Postgres and its own JetStream nats-server, agents as
// separate processes reporting over NATS, two teams with a study each at the same time, and junk on the
// agents' subjects that must be dropped, counted and survived.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { signAgentMessage } from '../../schemas/src/message-mac.js';
import type { AgentMessage } from '../../schemas/src/messages.js';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli } from '../support/cli.js';
import { startNatsServer, type TestNatsServer } from '../support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { api, startServe, studyUpload, waitForStatus } from '../support/serve.js';
import { makeStudyFolder } from '../support/study-folder.js';

const EXPERIMENTS = 6;

async function createToken(databaseUrl: string, team: string): Promise<string> {
  const created = await runCli(['token', 'create', '--team', team, '--name', `${team}-ci`], { DATABASE_URL: databaseUrl });
  assert.equal(created.code, 0, created.stderr);
  return created.stdout.trim();
}

describe('distributed mode: serve with Postgres and NATS', () => {
  let database: TestDatabase;
  let nats: TestNatsServer;
  let dir: string;

  before(async () => {
    database = await createTestDatabase('distributed');
    nats = await startNatsServer();
    dir = await makeStudyFolder();
  });

  after(async () => {
    await nats.dispose();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs two teams’ studies at once through standalone agents, each with a complete results.tsv', { timeout: 240_000 }, async () => {
    const alpha = await createToken(database.url, 'alpha');
    const beta = await createToken(database.url, 'beta');
    const serve = await startServe(['--slots', '2', '--data-dir', dir], {
      DATABASE_URL: database.url, NATS_URL: nats.url, AUTORESEARCH_CONTROLLER_ID: 'controller-a',
    });
    try {
      const first = await api<{ id: string }>(serve.url, alpha, 'POST', '/v1/studies', await studyUpload(dir, { maxExperiments: EXPERIMENTS }));
      const second = await api<{ id: string }>(serve.url, beta, 'POST', '/v1/studies', await studyUpload(dir, { maxExperiments: EXPERIMENTS }, { priority: 2 }));
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(second.status, 201, JSON.stringify(second.body));

      // Bad payloads on NATS are dropped with a logged reason and counted; the controller carries on.
      const nc = await connect({ servers: nats.url });
      const fakeRun = randomUUID();
      nc.publish(`ar.run.${fakeRun}.log`, 'not json at all');
      nc.publish(`ar.run.${fakeRun}.progress`, JSON.stringify({ message: { type: 'progress', runId: fakeRun }, mac: 'x' }));
      const forged = { type: 'heartbeat', runId: fakeRun, attempt: 1, ts: Date.now() };
      nc.publish(`ar.run.${fakeRun}.heartbeat`, JSON.stringify(signAgentMessage(forged as AgentMessage, 'a token nobody was given')));
      await jetstream(nc).publish(`ar.result.${fakeRun}`, 'garbage result');
      await nc.drain();

      // Each team sees its own study only.
      assert.equal((await api(serve.url, beta, 'GET', `/v1/studies/${first.body.id}`)).status, 404);
      assert.equal((await api(serve.url, alpha, 'GET', `/v1/studies/${second.body.id}`)).status, 404);

      await waitForStatus(serve.url, alpha, first.body.id, 'completed');
      await waitForStatus(serve.url, beta, second.body.id, 'completed');
      const metrics = await api<string>(serve.url, undefined, 'GET', '/metrics');
      const rejected = [...metrics.body.matchAll(/^autoresearch_agent_messages_rejected_total\{reason="([^"]+)"\} (\d+)/gm)];
      assert.ok(rejected.reduce((sum, m) => sum + Number(m[2]), 0) >= 4, metrics.body.split('\n').filter((l) => l.includes('rejected')).join('\n'));
      assert.match(metrics.body, /autoresearch_decisions_total\{outcome="baseline"\} 2/);
      for (const [token, id] of [[alpha, first.body.id], [beta, second.body.id]] as const) {
        const tsv = await api<string>(serve.url, token, 'GET', `/v1/studies/${id}/exports/results.tsv`);
        const rows = tsv.body.trim().split('\n');
        assert.equal(rows[0], 'commit\tval_bpb\tmemory_gb\tstatus\tdescription');
        assert.equal(rows.length - 1, EXPERIMENTS, tsv.body);
        assert.equal(rows[1]!.split('\t')[3], 'keep', 'the baseline row');
        assert.ok(rows.slice(1).every((row) => /^[0-9a-f]{7}\t\d+\.\d{6}\t\d+\.\d\t(keep|discard|crash)\t/.test(row)), tsv.body);
      }
    } finally {
      serve.child.kill('SIGTERM');
      await serve.done;
    }

    // Every run reported over NATS exactly once: one attempt each, all succeeded, one set of final metrics.
    const store = await openStore({ databaseUrl: database.url });
    try {
      for (const study of await store.listStudiesByStatus(['completed'])) {
        for (const experiment of await store.listExperiments(study.id, { limit: 100 })) {
          for (const run of await store.listRuns(experiment.id)) {
            assert.equal(run.status, 'succeeded');
            assert.equal(run.attempt, 1);
            const finals = await store.getMetrics(run.id, { kind: 'final' });
            assert.equal(finals.filter((m) => m.name === 'val_bpb').length, 1);
          }
        }
      }
    } finally {
      await store.close();
    }
  });
});
