// Paths from a revision or a spec are untrusted: they must be relative, stay inside the work directory,
// and (when read back) must not reach outside it through a link the experiment created.
import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { UnsafePathError } from './errors.js';

/** Splits a relative, forward-slash path into its parts, refusing anything that could leave the root. */
export function splitRelativePath(path: string): string[] {
  if (path === '') throw new UnsafePathError(path, 'is empty');
  if (path.includes('\0')) throw new UnsafePathError(path, 'contains a NUL byte');
  if (path.includes('\\')) throw new UnsafePathError(path, 'contains a backslash (use forward slashes)');
  if (path.startsWith('/')) throw new UnsafePathError(path, 'is absolute; it must be relative to the work directory');
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '..') throw new UnsafePathError(path, "climbs out of the work directory with '..'");
    if (part === '' || part === '.') throw new UnsafePathError(path, "has an empty or '.' segment");
  }
  return parts;
}

/**
 * The real location of `path` inside `root`, after following links, or an UnsafePathError if it ends up
 * outside. ENOENT passes through so callers can say "missing" rather than "unsafe".
 */
export async function resolveInside(root: string, path: string): Promise<string> {
  const parts = splitRelativePath(path);
  const realRoot = await realpath(root);
  const real = await realpath(join(realRoot, ...parts));
  if (!real.startsWith(realRoot + sep)) throw new UnsafePathError(path, 'leads outside the work directory through a link');
  return real;
}
