// Each run gets a fresh directory: `work/` holds the revision's files (and is the command's cwd and
// HOME), `tmp/` is its TMPDIR. Both go when the run ends.
import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunAssignment } from '../../../schemas/src/messages.js';
import { InvalidAssignmentError, UnsafePathError } from './errors.js';
import { splitRelativePath } from './safe-path.js';

export interface Workdir {
  /** The mkdtemp directory; removing it removes everything below. */
  root: string;
  /** The revision's files; the command runs here. */
  dir: string;
  tmpDir: string;
}

export type RevisionFile = RunAssignment['files'][number];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export async function createWorkdir(workRoot: string, runId: string): Promise<Workdir> {
  await mkdir(workRoot, { recursive: true });
  const root = await mkdtemp(join(workRoot, `autoresearch-run-${runId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-`));
  const dir = join(root, 'work');
  const tmpDir = join(root, 'tmp');
  await mkdir(dir, { mode: 0o755 });
  await mkdir(tmpDir, { mode: 0o700 });
  return { root, dir, tmpDir };
}

/** Writes every file of the revision under `dir`. Paths are checked before anything is written. */
export async function writeRevisionFiles(dir: string, files: readonly RevisionFile[]): Promise<void> {
  const planned = files.map((file) => ({ file, parts: splitRelativePath(file.path), content: decodeContent(file) }));
  for (const { file, parts, content } of planned) {
    let parent = dir;
    for (const part of parts.slice(0, -1)) {
      parent = join(parent, part);
      await ensureRealDirectory(parent, file.path);
    }
    await writeNewFile(join(parent, parts[parts.length - 1]!), content, file);
  }
}

export async function removeWorkdir(workdir: Workdir): Promise<void> {
  await rm(workdir.root, { recursive: true, force: true, maxRetries: 2 });
}

function decodeContent(file: RevisionFile): Buffer {
  if (!BASE64.test(file.contentBase64)) {
    throw new InvalidAssignmentError(`file ${JSON.stringify(file.path)}: contentBase64 is not valid base64`);
  }
  if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o7777) {
    throw new InvalidAssignmentError(`file ${JSON.stringify(file.path)}: mode ${file.mode} is not a file mode`);
  }
  return Buffer.from(file.contentBase64, 'base64');
}

/** mkdir one level at a time, and refuse to pass through anything that is not a real directory. */
async function ensureRealDirectory(path: string, filePath: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o755 });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = await lstat(path);
  if (stat.isSymbolicLink()) throw new UnsafePathError(filePath, 'goes through a symbolic link');
  if (!stat.isDirectory()) throw new UnsafePathError(filePath, 'goes through a file as if it were a folder');
}

async function writeNewFile(path: string, content: Buffer, file: RevisionFile): Promise<void> {
  // O_EXCL: a path given twice is an error, never a silent overwrite; O_NOFOLLOW: never write through a link.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let handle;
  try {
    handle = await open(path, flags, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || (code === 'EEXIST' && (await lstat(path)).isSymbolicLink())) {
      throw new UnsafePathError(file.path, 'is a symbolic link');
    }
    if (code === 'EEXIST') throw new InvalidAssignmentError(`file ${JSON.stringify(file.path)} appears more than once in the revision`);
    throw error;
  }
  try {
    await handle.writeFile(content);
    // Permission bits only: set-id and sticky bits from an untrusted revision are dropped.
    await handle.chmod(file.mode & 0o777);
  } finally {
    await handle.close();
  }
}
