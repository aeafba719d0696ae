// Reads a study folder into the files of its first revision. The folder itself is never written.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { AutoresearchError } from '../errors.js';

export interface WorkspaceFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** Never part of a workspace: our own state, version control, dependencies, and the spec itself. */
const ALWAYS_EXCLUDED = new Set(['.autoresearch', '.git', 'node_modules', 'study.yaml']);

export const WORKSPACE_LIMITS = { maxFiles: 5000, maxTotalBytes: 256 * 1024 * 1024 };

export async function readWorkspace(root: string, exclude: string[]): Promise<WorkspaceFile[]> {
  const excluded = new Set(exclude.map((p) => p.replace(/\/$/, '')));
  const files: WorkspaceFile[] = [];
  let totalBytes = 0;

  async function walk(relativeDir: string): Promise<void> {
    const entries = await readdir(join(root, relativeDir), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const relative = relativeDir ? posix.join(relativeDir, entry.name) : entry.name;
      if ((!relativeDir && ALWAYS_EXCLUDED.has(entry.name)) || excluded.has(relative)) continue;
      const stats = await lstat(join(root, relative));
      if (stats.isSymbolicLink()) {
        throw new AutoresearchError('WORKSPACE_SYMLINK', `workspace: ${relative} is a symbolic link; copy the file in or list it in workspace.exclude`);
      }
      if (stats.isDirectory()) {
        await walk(relative);
        continue;
      }
      if (!stats.isFile()) continue;
      totalBytes += stats.size;
      if (files.length >= WORKSPACE_LIMITS.maxFiles || totalBytes > WORKSPACE_LIMITS.maxTotalBytes) {
        throw new AutoresearchError(
          'WORKSPACE_TOO_LARGE',
          `workspace: more than ${WORKSPACE_LIMITS.maxFiles} files or ${WORKSPACE_LIMITS.maxTotalBytes / 1024 / 1024} MiB; list large data in workspace.exclude`,
        );
      }
      files.push({ path: relative, content: await readFile(join(root, relative)), mode: stats.mode & 0o111 ? 0o755 : 0o644 });
    }
  }

  await walk('');
  return files;
}
