// Opens the database the controller keeps its state in, and brings its schema up to date.
// Postgres when a URL is given (the cluster); PGlite in a local folder otherwise (embedded mode).
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { AutoresearchError } from '../errors.js';
import { lockDataDir } from './data-dir-lock.js';
import type { StoreDb } from './db.js';
import { findMigrationsFolder } from './migrations-folder.js';
import { Store } from './store.js';
import { redactDatabaseUrl, StoreUnavailableError } from './store-errors.js';

export interface OpenStoreOptions {
  /** Postgres 15+. When absent, the embedded PGlite database in `pgliteDir` is used. */
  databaseUrl?: string;
  pgliteDir?: string;
  /** Connections in the Postgres pool. */
  poolSize?: number;
  /** Connection attempts before giving up, and the first wait between them (doubled each time). */
  retry?: { attempts?: number; initialDelayMs?: number };
  /** Errors of idle pooled connections (the server restarted, say); the next query reports its own. */
  onPoolError?: (error: Error) => void;
}

const DEFAULT_RETRY = { attempts: 5, initialDelayMs: 500 };
const MAX_RETRY_DELAY_MS = 5_000;
/** Arbitrary, fixed: serializes migrations when several controllers start against one database. */
const MIGRATION_LOCK_KEY = 4_172_036_010;
/** Postgres errors that no retry will fix: bad credentials, no such database. */
const PERMANENT_ERROR_CODES = new Set(['28000', '28P01', '3D000']);

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  if (!options.pgliteDir) {
    throw new AutoresearchError('STORE_NOT_CONFIGURED', 'openStore needs databaseUrl or pgliteDir');
  }
  return openPglite(options.pgliteDir);
}

async function openPostgres(url: string, options: OpenStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', options.onPoolError ?? (() => {}));
  try {
    const client = await connectWithRetry(pool, url, { ...DEFAULT_RETRY, ...options.retry });
    try {
      // drizzle's migrator takes no lock of its own: two controllers starting together would both apply.
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await runMigrations(() => migratePostgres(drizzlePostgres({ client }), { migrationsFolder: findMigrationsFolder() }));
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  const db = drizzlePostgres({ client: pool }) as unknown as StoreDb;
  return new Store(db, 'postgres', () => pool.end());
}

async function connectWithRetry(
  pool: pg.Pool,
  url: string,
  retry: { attempts: number; initialDelayMs: number },
): Promise<pg.PoolClient> {
  let delay = retry.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.connect();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const permanent = code !== undefined && PERMANENT_ERROR_CODES.has(code);
      if (permanent || attempt >= retry.attempts) {
        const tries = permanent ? '' : ` after ${attempt} attempts`;
        throw new StoreUnavailableError(
          `cannot connect to the database at ${redactDatabaseUrl(url)}${tries}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    }
  }
}

async function openPglite(dir: string): Promise<Store> {
  await mkdir(dir, { recursive: true });
  const unlock = await lockDataDir(dir);
  let client: PGlite | undefined;
  try {
    client = await PGlite.create(dir).catch((error: unknown) => {
      throw new StoreUnavailableError(`cannot open the embedded database in ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    });
    const db = drizzlePglite({ client });
    await runMigrations(() => migratePglite(db, { migrationsFolder: findMigrationsFolder() }));
    const opened = client;
    return new Store(db as unknown as StoreDb, 'pglite', async () => {
      try {
        await opened.close();
      } finally {
        await unlock();
      }
    });
  } catch (error) {
    await client?.close().catch(() => {});
    await unlock();
    throw error;
  }
}

async function runMigrations(migrate: () => Promise<void>): Promise<void> {
  try {
    await migrate();
  } catch (error) {
    if (error instanceof AutoresearchError) throw error;
    throw new AutoresearchError('STORE_MIGRATION_FAILED', `database migration failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
