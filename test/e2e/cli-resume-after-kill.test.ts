// Acceptance: `kill -9` of `autoresearch run` in the middle of a study, then the same command again,
// resumes. No recorded experiment runs twice; results.tsv has no duplicates and no gaps. This runs on the
// embedded default (PGlite in .autoresearch/), which must itself survive the kill.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli, startCli } from '../support/cli.js';
import { makeStudyFolder, SURROGATE_SCRIPT } from '../support/study-folder.js';

const MAX_EXPERIMENTS = 12;

describe('autoresearch run killed with SIGKILL, then run again', () => {
  let dir: string;

  before(async () => {
    // Runs of about half a second, so the kill lands while experiments are in flight.
    dir = await makeStudyFolder({ 'train.js': SURROGATE_SCRIPT.replace('const SLEEP_MS = 0;', 'const SLEEP_MS = 500;') });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes without re-running anything recorded, and writes a complete results.tsv', async () => {
    const args = ['run', dir, '--slots', '2', '--max-experiments', String(MAX_EXPERIMENTS), '--port', '0'];
    const first = startCli(args);
    const decidedBeforeKill = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no experiments were decided in time')), 120_000);
      first.child.stdout!.on('data', (chunk: string) => {
        for (const match of chunk.toString().matchAll(/^#(\d+)\s/gm)) decidedBeforeKill.add(Number(match[1]));
        if (decidedBeforeKill.size >= 4) {
          clearTimeout(timer);
          first.child.kill('SIGKILL');
          resolve();
        }
      });
    });
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL');
    const killedAt = new Date();

    const second = await runCli(args);
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    assert.match(second.stdout, /resuming "surrogate"/);

    const store = await openStore({ pgliteDir: join(dir, '.autoresearch', 'db') });
    try {
      const study = await store.findStudyBySourceDir(dir);
      assert.ok(study);
      assert.equal(study.status, 'completed');
      const experiments = await store.listExperiments(study.id, { limit: 100 });
      assert.deepEqual(experiments.map((e) => e.number), Array.from({ length: MAX_EXPERIMENTS }, (_, i) => i));
      assert.ok(experiments.every((e) => e.status === 'decided'));
      for (const experiment of experiments) {
        const runs = await store.listRuns(experiment.id);
        assert.equal(runs.length, experiment.repeats);
        if (decidedBeforeKill.has(experiment.number)) {
          // Recorded before the kill: each run went exactly once and nothing touched it afterwards.
          for (const run of runs) {
            assert.equal(run.attempt, 1, `experiment #${experiment.number} ran again`);
            assert.ok(run.finishedAt! < killedAt, `a run of experiment #${experiment.number} finished after the kill`);
          }
        }
      }

      const rows = (await readFile(join(dir, '.autoresearch', 'results.tsv'), 'utf8')).trim().split('\n');
      assert.equal(rows[0], 'commit\tval_bpb\tmemory_gb\tstatus\tdescription');
      assert.equal(rows.length - 1, MAX_EXPERIMENTS, 'one row per experiment: no gap, no duplicate');
      const descriptions = rows.slice(1).map((row) => row.split('\t')[4]);
      assert.deepEqual(descriptions, experiments.map((e) => e.description));
    } finally {
      await store.close();
    }
  });
});
