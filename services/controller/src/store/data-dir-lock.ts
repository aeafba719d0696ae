// PGlite has no postmaster to refuse a second process: two processes opening one data folder would
// both write to it and corrupt it. A lock file in the folder makes the second one fail clearly.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { StoreUnavailableError } from './store-errors.js';

const LOCK_FILE = 'autoresearch.lock';
/** The holder touches the file this often, so a lock from another host (a container) can expire. */
const REFRESH_MS = 10_000;
const FOREIGN_STALE_MS = 60_000;
const heldHere = new Set<string>();

interface LockOwner {
  pid: number;
  host: string;
}

/** Takes the folder's lock, or throws StoreUnavailableError naming the process that holds it. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname() };
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(path, JSON.stringify(me), { flag: 'wx' });
      return holdLock(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(path);
    if (owner && (await isHeld(path, owner, me))) {
      throw new StoreUnavailableError(`the database in ${dir} is in use by process ${owner.pid} on ${owner.host}; stop it first`);
    }
    // Left behind by a process that died: take it over.
    await rm(path, { force: true });
  }
  throw new StoreUnavailableError(`could not lock the database in ${dir}: ${path} keeps reappearing`);
}

function holdLock(path: string): () => Promise<void> {
  heldHere.add(path);
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, REFRESH_MS);
  refresh.unref();
  return async () => {
    clearInterval(refresh);
    heldHere.delete(path);
    await rm(path, { force: true });
  };
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : undefined;
  } catch {
    return undefined;
  }
}

async function isHeld(path: string, owner: LockOwner, me: LockOwner): Promise<boolean> {
  if (owner.host !== me.host) {
    // Another machine or container: its pid means nothing here, but a live holder keeps the file fresh.
    const modified = await stat(path).then((s) => s.mtimeMs, () => 0);
    return Date.now() - modified < FOREIGN_STALE_MS;
  }
  // Our own pid without our own record: a previous container whose process had the same pid.
  if (owner.pid === me.pid) return heldHere.has(path);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
