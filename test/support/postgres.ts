// A fresh, empty database per test suite on the local Postgres, dropped afterwards: tests talk to the
// real server, never a mock, and never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local test server: trust auth, so no password. */
export const TEST_POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40);
  const name = `${safePrefix}_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = `postgres://${TEST_POSTGRES.user}@${TEST_POSTGRES.host}:${TEST_POSTGRES.port}/${name}`;
  let dropped = false;
  return {
    name,
    url,
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE ends connections a test left open, so a failing test cannot leave the database behind.
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(TEST_POSTGRES);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
