// The `.autoresearch/` folder next to a study: the embedded database, the outputs, and a note of the
// controller that is running the study right now so `status`, `stop` and `export` can find it.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface ServerNote {
  url: string;
  pid: number;
  studyId: string;
}

export function stateDir(studyDir: string): string {
  return join(resolve(studyDir), '.autoresearch');
}

export function pgliteDir(studyDir: string): string {
  return join(stateDir(studyDir), 'db');
}

export async function writeServerNote(studyDir: string, note: ServerNote): Promise<void> {
  await mkdir(stateDir(studyDir), { recursive: true });
  await writeFile(join(stateDir(studyDir), 'server.json'), `${JSON.stringify(note, null, 2)}\n`);
}

export async function removeServerNote(studyDir: string): Promise<void> {
  await rm(join(stateDir(studyDir), 'server.json'), { force: true });
}

/** The running controller of a study folder, if its note exists and its process is alive. */
export async function readLiveServerNote(studyDir: string): Promise<ServerNote | null> {
  try {
    const note = JSON.parse(await readFile(join(stateDir(studyDir), 'server.json'), 'utf8')) as ServerNote;
    process.kill(note.pid, 0);
    return note;
  } catch {
    return null;
  }
}
