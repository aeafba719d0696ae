// Where the dashboard's sources and built files are, and whether the build is older than its sources.
// No esbuild here: the controller imports this in production, where only the built files exist.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FOLDER = join('services', 'dashboard');

/** A checkout has the sources; a production image (deploy/docker) only the built files. */
const isDashboardRoot = (dir: string) => existsSync(join(dir, 'src', 'main.ts')) || existsSync(join(dir, 'dist', 'index.html'));

/**
 * The dashboard's folder, found by walking up from a module: from source it is beside it, and compiled
 * code under dist/ finds the package root's services/dashboard.
 */
export function findDashboardRoot(moduleUrl: string = import.meta.url): string | null {
  for (let dir = dirname(fileURLToPath(moduleUrl)); ; dir = dirname(dir)) {
    for (const candidate of [dir, join(dir, FOLDER)]) {
      if (candidate.endsWith(FOLDER) && isDashboardRoot(candidate)) return candidate;
    }
    if (dirname(dir) === dir) return null;
  }
}

export function distOf(root: string): string {
  return join(root, 'dist');
}

export function hasSources(root: string): boolean {
  return existsSync(join(root, 'src', 'main.ts'));
}

/** Missing, or older than a source file. index.html is written last, so its time is the build's. */
export async function isBuildStale(root: string): Promise<boolean> {
  const built = await stat(join(distOf(root), 'index.html')).catch(() => null);
  if (!built) return true;
  return hasSources(root) && (await newestSourceTime(root)) > built.mtimeMs;
}

async function newestSourceTime(root: string): Promise<number> {
  let newest = (await stat(join(root, 'index.html'))).mtimeMs;
  for (const folder of ['src', 'styles']) {
    const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}
