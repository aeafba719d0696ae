// `autoresearch token create` through the real CLI, then the token it printed against the real API.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { storeTokenAuth } from '../../services/controller/src/api/auth.js';
import { buildApp } from '../../services/controller/src/app.js';
import { ControllerMetrics } from '../../services/controller/src/metrics/controller-metrics.js';
import { queryRows } from '../../services/controller/src/store/db.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { hashApiToken } from '../../services/controller/src/store/queries/api-tokens.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

describe('autoresearch token create', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('cli_token');
  });
  after(async () => {
    await database.drop();
  });

  it('prints a new token once, and the API accepts it for that team', async () => {
    const result = await runCli(['token', 'create', '--team', 'ml-lab', '--name', 'ada', '--quota', '2'], { DATABASE_URL: database.url });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ar_[A-Za-z0-9_-]{43}\n$/);
    assert.match(result.stderr, /team "ml-lab".*quota of 2.*shown only this once/s);
    const token = result.stdout.trim();

    const store = await openStore({ databaseUrl: database.url });
    const app = await buildApp({ store, scheduler: null, auth: storeTokenAuth(store), metrics: new ControllerMetrics() });
    try {
      const list = await app.inject({ method: 'GET', url: '/v1/studies', headers: { authorization: `Bearer ${token}` } });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json().items, []);
      const refused = await app.inject({ method: 'GET', url: '/v1/studies', headers: { authorization: 'Bearer ar_guess' } });
      assert.equal(refused.statusCode, 401);
      assert.equal((await store.getTeamByName('ml-lab'))?.quotaSlots, 2);
      assert.equal((await store.findTeamByTokenHash(hashApiToken(token)))?.tokenName, 'ada');

      // A second token for the same team leaves its quota alone unless asked, and lifts it on request.
      const second = await runCli(['token', 'create', '--team', 'ml-lab'], { DATABASE_URL: database.url });
      assert.equal(second.code, 0, second.stderr);
      assert.notEqual(second.stdout.trim(), token);
      assert.equal((await store.getTeamByName('ml-lab'))?.quotaSlots, 2);
      assert.equal((await store.findTeamByTokenHash(hashApiToken(second.stdout.trim())))?.tokenName, 'ml-lab');
      const lifted = await runCli(['token', 'create', '--team', 'ml-lab', '--quota', 'unlimited'], { DATABASE_URL: database.url });
      assert.equal(lifted.code, 0, lifted.stderr);
      assert.equal((await store.getTeamByName('ml-lab'))?.quotaSlots, null);
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('refuses bad input with exit code 2, naming the option, and creates nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['token', 'create'], /--team/],
      [['token', 'create', '--team', 'has space'], /--team: "has space" is not a team name/],
      [['token', 'create', '--team', 'ok', '--quota', 'lots'], /--quota must be a whole number/],
      [['token', 'create', '--team', 'ok', '--quota', '-1'], /--quota/],
      [['token', 'create', '--team', 'ok', '--name', ' '], /--name: must be 1 to 200 characters/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { DATABASE_URL: database.url });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
    const store = await openStore({ databaseUrl: database.url });
    try {
      assert.equal(await store.getTeamByName('ok'), undefined);
      const [row] = await queryRows(store.db, sql`SELECT count(*)::int AS n FROM api_tokens`);
      assert.equal(row!.n, 3, 'only the tokens of the first test');
    } finally {
      await store.close();
    }
  });

  it('writes into a server data folder when DATABASE_URL is not set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autoresearch-token-'));
    try {
      const dataDir = join(dir, 'server');
      const result = await runCli(['token', 'create', '--team', 'solo', '--data-dir', dataDir], { DATABASE_URL: undefined });
      assert.equal(result.code, 0, result.stderr);
      const store = await openStore({ pgliteDir: dataDir });
      try {
        assert.equal((await store.findTeamByTokenHash(hashApiToken(result.stdout.trim())))?.name, 'solo');
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
