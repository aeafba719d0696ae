// What the loop tests around one CLI run share: a fresh database and a scratch folder for the file's
// tests (made before them, removed after), and the rows of the results.tsv a run wrote.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface StudyRunFixture {
  readonly database: TestDatabase;
  readonly scratch: string;
}

/** Registers the hooks; read the fields inside tests, once `before` has run. */
export function studyRunFixture(name: string): StudyRunFixture {
  let database: TestDatabase | undefined;
  let scratch: string | undefined;
  before(async () => {
    database = await createTestDatabase(name);
    scratch = await mkdtemp(join(tmpdir(), `${name.replace(/_/g, '-')}-`));
  });
  after(async () => {
    await database?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  return {
    get database() {
      if (!database) throw new Error('the fixture is read before its before hook ran');
      return database;
    },
    get scratch() {
      if (!scratch) throw new Error('the fixture is read before its before hook ran');
      return scratch;
    },
  };
}

/** results.tsv's rows after its header, split into columns. */
export async function resultsRows(outDir: string): Promise<string[][]> {
  return (await readFile(join(outDir, 'results.tsv'), 'utf8')).trim().split('\n').slice(1).map((line) => line.split('\t'));
}
