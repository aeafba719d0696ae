// Acceptance: a run past budget plus grace is killed with its whole process tree and recorded as
// `timeout`; a crashing run is recorded as `crash` with the last 50 log lines; neither stops the study.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder, SURROGATE_SPEC } from '../support/study-folder.js';

/** A zombie is dead: it only waits for its (re)parent to reap it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('a study whose candidates hang or crash', () => {
  let database: TestDatabase;
  let dir: string;
  const grandchildrenFile = join(tmpdir(), `autoresearch-grandchildren-${process.pid}.txt`);

  before(async () => {
    database = await createTestDatabase('loop_failures');
    // MODE moves to a neighbouring choice: from 'ok' the only changes are 'hang' and 'crash'.
    const spec = SURROGATE_SPEC
      .replace('budgetSeconds: 20', 'budgetSeconds: 2')
      .replace('graceSeconds: 2', `graceSeconds: 1\n  env: { GRANDCHILDREN_FILE: "${grandchildrenFile}" }`)
      .replace('baselineRepeats: 3', 'baselineRepeats: 2')
      .replace(/  params:\n[\s\S]*$/, "  params:\n    - { name: MODE, file: train.js, choices: [hang, ok, crash] }\n");
    dir = await makeStudyFolder({ 'study.yaml': spec });
    const script = await readFile(join(dir, 'train.js'), 'utf8');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'train.js'), script.replace('>> grandchildren.txt', '>> "$GRANDCHILDREN_FILE"'));
  });

  after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
    await rm(grandchildrenFile, { force: true });
  });

  it('records timeout and crash with their evidence, and carries on to the end', async () => {
    const result = await runCli(['run', dir, '--slots', '2'], { DATABASE_URL: database.url });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /search exhausted/);

    const store = await openStore({ databaseUrl: database.url });
    try {
      const study = await store.findStudyBySourceDir(dir);
      assert.ok(study);
      const experiments = await store.listExperiments(study.id, { limit: 100 });
      const byChange = new Map(experiments.map((e) => [e.description, e]));
      assert.equal(experiments[0]!.outcome, 'baseline');

      const hang = [...byChange.values()].find((e) => e.description.includes('hang'));
      assert.ok(hang, 'the hang candidate ran');
      assert.equal(hang.outcome, 'timeout');
      const [hangRun] = await store.listRuns(hang.id);
      assert.equal(hangRun!.status, 'timeout');
      assert.match(hangRun!.reason ?? '', /budget/);

      const crash = [...byChange.values()].find((e) => e.description.includes('crash'));
      assert.ok(crash, 'the crash candidate ran');
      assert.equal(crash.outcome, 'crash');
      const [crashRun] = await store.listRuns(crash.id);
      assert.equal(crashRun!.status, 'crashed');
      assert.match(crashRun!.reason ?? '', /exit code 3/);
      assert.equal(crashRun!.logTail!.length, 50);
      assert.ok(crashRun!.logTail!.some((line) => line.includes('boom: the script crashed')));
      assert.ok(crashRun!.logTail!.includes('log line 60'));
      assert.ok(!crashRun!.logTail!.includes('log line 10'), 'only the last 50 lines are kept');

      // Every grandchild that ignored SIGTERM is gone too.
      const pids = (await readFile(grandchildrenFile, 'utf8')).trim().split('\n').map((l) => Number(l.split(' ')[1]));
      assert.equal(pids.length, 2);
      for (const pid of pids) assert.equal(isAlive(pid), false, `grandchild ${pid} survived`);

      const results = await readFile(join(dir, '.autoresearch', 'results.tsv'), 'utf8');
      const statuses = results.trim().split('\n').slice(1).map((row) => row.split('\t')[3]);
      assert.deepEqual(statuses.sort(), ['crash', 'crash', 'keep']);
      const changelog = await readFile(join(dir, '.autoresearch', 'changelog.md'), 'utf8');
      assert.match(changelog, /## Experiment \d — timeout/);
      assert.match(changelog, /## Experiment \d — crash[\s\S]*boom: the script crashed/);
    } finally {
      await store.close();
    }
  });
});
