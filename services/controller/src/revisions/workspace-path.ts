// Workspace paths are untrusted input (specs, uploads, model edits): every one is confined here.
import { posix } from 'node:path';

/** The normalized relative path, or an explanation of why it is not allowed. */
export function confineWorkspacePath(path: string): { ok: true; path: string } | { ok: false; problem: string } {
  if (path.includes('\0')) return { ok: false, problem: 'contains a NUL byte' };
  const slashed = path.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return { ok: false, problem: `"${path}" is absolute; give a path relative to the study folder` };
  const normalized = posix.normalize(slashed);
  if (normalized === '..' || normalized.startsWith('../')) return { ok: false, problem: `"${path}" escapes the study folder` };
  if (normalized === '.' || normalized === '') return { ok: false, problem: 'is the study folder itself, not a file' };
  return { ok: true, path: normalized.replace(/\/$/, '') };
}
