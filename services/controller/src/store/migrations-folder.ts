// Finds the committed SQL migrations, whether this code runs from source (tsx) or compiled (dist/).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoresearchError } from '../errors.js';

/** Where the migrations live in the repository and in the published package. */
const SOURCE_FOLDER = join('services', 'controller', 'src', 'store', 'migrations');

/**
 * From source the folder sits beside this module. tsc does not copy .sql files into
 * dist/services/controller/src/store/, so compiled code walks up to the package root, which ships the
 * source folder too. A build that does copy the folder is found by the first check.
 */
export function findMigrationsFolder(moduleUrl: string = import.meta.url): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const candidates = [join(here, 'migrations')];
  for (let dir = here; ; dir = dirname(dir)) {
    candidates.push(join(dir, SOURCE_FOLDER));
    if (dirname(dir) === dir) break;
  }
  const found = candidates.find((folder) => existsSync(join(folder, 'meta', '_journal.json')));
  if (!found) {
    throw new AutoresearchError('MIGRATIONS_NOT_FOUND', `database migrations not found (looked for ${SOURCE_FOLDER} above ${here})`);
  }
  return found;
}
