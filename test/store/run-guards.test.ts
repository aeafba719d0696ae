// A run's guard results, against both drivers: ingested with its result in the same statement, read back
// as they were sent, absent when the agent sent none, and cleared when the run is handed out again.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GuardResult } from '../../schemas/src/messages.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase } from '../support/postgres.js';
import { addExperiment, claimRequest, resultFor, seedStudy } from './fixtures.js';

const targets: { name: string; open(): Promise<{ store: Store; cleanup(): Promise<void> }> }[] = [
  {
    name: 'pglite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'autoresearch-run-guards-'));
      const store = await openStore({ pgliteDir: dir });
      return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    async open() {
      const database = await createTestDatabase('run_guards_test');
      const store = await openStore({ databaseUrl: database.url });
      return { store, cleanup: async () => { await store.close(); await database.drop(); } };
    },
  },
];

const GUARDS: GuardResult[] = [
  { name: 'tests', passed: false, exitCode: 1, signal: null, timedOut: false, durationMs: 1234, reason: 'exit code 1', outputTail: ['1 failed', 'AssertionError'] },
  { name: 'lint', passed: true, exitCode: 0, signal: null, timedOut: false, durationMs: 80, outputTail: [] },
];

for (const target of targets) {
  describe(`run guards on ${target.name}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;
    before(async () => {
      ({ store, cleanup } = await target.open());
    });
    after(async () => {
      await cleanup?.();
    });

    it('stores the guard results with the result, and clears them when the run is handed out again', async () => {
      const seeded = await seedStudy(store);
      await addExperiment(store, seeded, 2);
      const run = (await store.claimQueuedRun(claimRequest([seeded.study.id])))!;
      const ingested = await store.ingestResult({ ...resultFor(run.id, run.attempt), guards: GUARDS });
      assert.equal(ingested.applied, true);
      assert.deepEqual(ingested.run?.guards, GUARDS);
      assert.deepEqual((await store.getRun(run.id))?.guards, GUARDS);

      const other = (await store.claimQueuedRun(claimRequest([seeded.study.id])))!;
      assert.equal((await store.ingestResult(resultFor(other.id, other.attempt))).run?.guards, null, 'no guards sent, none stored');

    });

    it('a run stopped while its guards ran keeps no results of that attempt once it is handed out again', async () => {
      const seeded = await seedStudy(store);
      await addExperiment(store, seeded, 1);
      const run = (await store.claimQueuedRun(claimRequest([seeded.study.id])))!;
      await store.ingestResult({ ...resultFor(run.id, run.attempt), status: 'stopped', reason: 'stopped: study stopping', guards: GUARDS.slice(1) });
      assert.equal(await store.requeueUnfinishedRuns(seeded.study.id), 1, 'the study resumes');
      const again = (await store.claimQueuedRun(claimRequest([seeded.study.id])))!;
      assert.equal(again.id, run.id);
      assert.equal(again.attempt, run.attempt + 1);
      assert.equal(again.guards, null);
    });
  });
}
