// Ctrl-C stops cleanly: running runs are stopped and recorded, and the outputs are written. Running the
// `status` and `export` work on the stopped study (resuming is covered by cli-resume-after-kill).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli, startCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder, SURROGATE_SCRIPT } from '../support/study-folder.js';

describe('autoresearch run interrupted with Ctrl-C', () => {
  let database: TestDatabase;
  let dir: string;

  before(async () => {
    database = await createTestDatabase('cli_interrupt');
    // Long enough runs that the interrupt lands while the baseline is running.
    dir = await makeStudyFolder({ 'train.js': SURROGATE_SCRIPT.replace('const SLEEP_MS = 0;', 'const SLEEP_MS = 30000;') });
  });

  after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('records the stopped runs and writes the outputs', async () => {
    const env = { DATABASE_URL: database.url };
    const first = startCli(['run', dir, '--slots', '2', '--port', '0', '--max-experiments', '3'], env);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no run started in time')), 60_000);
      let started = 0;
      let interruptSent = false;
      first.child.stdout!.on('data', (chunk: Buffer) => {
        started += (chunk.toString().match(/… run \d+ of experiment/g) ?? []).length;
        // One Ctrl-C only: a second one would mean "kill the agents now".
        if (started >= 2 && !interruptSent) {
          interruptSent = true;
          clearTimeout(timer);
          setTimeout(() => first.child.kill('SIGINT'), 1000);
          resolve();
        }
      });
    });
    const interrupted = await first.done;
    assert.equal(interrupted.code, 130, `${interrupted.stdout}\n${interrupted.stderr}`);
    assert.match(interrupted.stdout, /interrupted: stopping the running runs cleanly/);
    assert.ok(existsSync(join(dir, '.autoresearch', 'results.tsv')));
    assert.ok(existsSync(join(dir, '.autoresearch', 'changelog.md')));
    assert.ok(existsSync(join(dir, '.autoresearch', 'best', 'train.js')));
    assert.equal(existsSync(join(dir, '.autoresearch', 'server.json')), false);

    const store = await openStore({ databaseUrl: database.url });
    try {
      const study = await store.findStudyBySourceDir(dir);
      assert.ok(study);
      assert.equal(study.status, 'stopped');
      assert.match(study.stopReason ?? '', /stopped by user/);
      const stopped = await store.listRunsByStatus(study.id, 'stopped');
      assert.ok(stopped.length >= 2, 'the runs in flight were stopped and recorded');
      for (const run of stopped) assert.ok(run.finishedAt, 'a stopped run has its end recorded');

      const status = await runCli(['status', dir], env);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /surrogate: stopped \(stopped by user/);
      assert.match(status.stdout, /#0\s+pending/);

      const exportDir = join(dir, 'exported');
      const exported = await runCli(['export', dir, '--out', exportDir], env);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(await readFile(join(exportDir, 'best', 'train.js'), 'utf8'), await readFile(join(dir, 'train.js'), 'utf8'));
    } finally {
      await store.close();
    }
  });
});
