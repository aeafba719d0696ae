// The GPU-pool claim the Kubernetes executor schedules with, against both drivers. Every controller
// replica claims from one pool of cluster GPUs; the claim must take a run only if its GPUs fit in what
// the pool has left, counting the pool's running runs in the database and what the cluster still shows
// holding GPUs, and never overshoot when replicas claim at the same moment.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { StudySpec } from '../../schemas/src/study-spec.js';
import type { ClaimRequest } from '../../services/controller/src/store/queries/claim-run.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { RunRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase } from '../support/postgres.js';
import { addExperiment, claimRequest, spec, type Seeded } from './fixtures.js';

const SLOT = 'kubernetes';

type Pool = NonNullable<ClaimRequest['pool']>;

interface Target {
  name: 'pglite' | 'postgres';
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'pglite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'autoresearch-pool-claim-'));
      const store = await openStore({ pgliteDir: dir });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const database = await createTestDatabase('pool_claim_test');
      // Eight connections, so that concurrent claims really run on different sessions.
      const store = await openStore({ databaseUrl: database.url, poolSize: 8 });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await database.drop();
        },
      };
    },
  },
];

/** A spec whose runs are Kubernetes Jobs of `gpus` GPUs each: the claim reads run.kubernetes.gpus. */
function kubernetesSpec(gpus: number): StudySpec {
  return {
    ...spec,
    run: {
      ...spec.run,
      kubernetes: {
        image: 'ghcr.io/acme/trainer:1.0',
        gpus,
        gpuResource: 'nvidia.com/gpu',
        shmSizeGi: 8,
        startupAllowanceSeconds: 300,
        ttlSecondsAfterFinished: 3600,
      },
    },
  };
}

/** As fixtures' seedStudy, with a Kubernetes spec of `gpus` GPUs per run and `runs` queued runs. */
async function seedPoolStudy(store: Store, gpus: number, runs: number): Promise<Seeded> {
  const revisionId = await store.putRevision([{ path: 'train.py', content: Buffer.from(`LR = 0.01 # ${randomUUID()}\n`), mode: 0o644 }]);
  const study = await store.createStudy({
    id: randomUUID(),
    name: `pool-${gpus}`,
    flavor: 'training',
    spec: kubernetesSpec(gpus),
    specHash: 'hash',
    sourceDir: null,
  });
  const branch = await store.createBranch({ id: randomUUID(), studyId: study.id, index: 0, headRevisionId: revisionId });
  const seeded = { study, branch, revisionId };
  for (let left = runs; left > 0; left -= 2) await addExperiment(store, seeded, Math.min(2, left));
  return seeded;
}

/** A GPU the cluster shows held by a pod whose run is not running in the database. */
const foreignHolder = (gpus = 1) => ({ runId: randomUUID(), gpus });

for (const target of targets) {
  describe(`GPU-pool claim on ${target.name}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;
    /** Runs claimed by the current test: finished after it, so that each test starts with an empty pool. */
    let claimed: RunRow[] = [];

    before(async () => {
      ({ store, cleanup } = await target.open());
    });
    afterEach(async () => {
      for (const run of claimed) await store.finishRun(run.id, run.attempt, { status: 'crashed', reason: 'test over' });
      claimed = [];
    });
    after(async () => {
      await cleanup?.();
    });

    async function claim(studies: Seeded[], pool: Pool | undefined, slot = SLOT): Promise<RunRow | undefined> {
      const run = await store.claimQueuedRun({ ...claimRequest(studies.map((s) => s.study.id), slot), pool });
      if (run) claimed.push(run);
      return run;
    }

    it('hands out no more 1-GPU runs than the pool has GPUs', async () => {
      const study = await seedPoolStudy(store, 1, 10);
      const runs = [];
      for (let i = 0; i < 4; i++) runs.push(await claim([study], { total: 4, holders: [] }));
      assert.ok(runs.every((run) => run?.status === 'running' && run.slot === SLOT));
      assert.equal(new Set(runs.map((run) => run!.id)).size, 4);
      assert.equal(await claim([study], { total: 4, holders: [] }), undefined);
      assert.equal((await store.listRunsByStatus(study.study.id, 'queued')).length, 6);
    });

    // An agent that reported but whose pod has not exited yet still holds its GPU, though its run is
    // no longer running in the database.
    it('counts the GPUs the cluster shows held by runs not running in the database', async () => {
      const study = await seedPoolStudy(store, 1, 4);
      const holders = [foreignHolder(), foreignHolder(), foreignHolder()];
      assert.ok(await claim([study], { total: 4, holders }));
      assert.equal(await claim([study], { total: 4, holders }), undefined);
      assert.equal(await claim([study], { total: 4, holders: [foreignHolder(4)] }), undefined);
    });

    // The database and the cluster usually both see a running run: it holds its GPUs once, not twice.
    it('counts a running run the cluster also shows holding GPUs once', async () => {
      const study = await seedPoolStudy(store, 1, 4);
      const first = (await claim([study], { total: 3, holders: [] }))!;
      const second = (await claim([study], { total: 3, holders: [{ runId: first.id, gpus: 1 }] }))!;
      assert.ok(second);
      const third = (await claim([study], { total: 3, holders: [{ runId: first.id, gpus: 1 }, { runId: second.id, gpus: 1 }] }))!;
      assert.ok(third);
      const all = [first, second, third].map((run) => ({ runId: run.id, gpus: 1 }));
      assert.equal(await claim([study], { total: 3, holders: all }), undefined);

      // The third run's agent reported, but its pod is still terminating: its GPU is not free yet.
      assert.ok(await store.finishRun(third.id, third.attempt, { status: 'crashed', reason: 'x' }));
      claimed = claimed.filter((run) => run.id !== third.id);
      assert.equal(await claim([study], { total: 3, holders: all }), undefined);
      assert.ok(await claim([study], { total: 3, holders: all.slice(0, 2) }));
    });

    it('skips a run whose GPUs do not fit, for one that does', async () => {
      const big = await seedPoolStudy(store, 2, 2);
      const small = await seedPoolStudy(store, 1, 2);
      // Two of three GPUs are held: the 2-GPU study ranks first (it has waited longest) but does not fit.
      const pool = { total: 3, holders: [foreignHolder(2)] };
      assert.equal(await claim([big], pool), undefined);
      const taken = await claim([big, small], pool);
      assert.equal(taken?.studyId, small.study.id);
      assert.equal(await claim([big, small], pool), undefined);

      // With the pool free again, the 2-GPU study's run is the one that goes first.
      const free = { total: 3, holders: [] };
      const bigRun = await claim([big, small], free);
      assert.equal(bigRun?.studyId, big.study.id);
      assert.equal(await claim([big], free), undefined, 'a second 2-GPU run would need 5 of 3 GPUs with the small run');
    });

    // The local executor's slots are the host's own GPUs, not the cluster's.
    it('does not count runs recorded in other slots against the pool', async () => {
      const local = await seedPoolStudy(store, 1, 2);
      const pooled = await seedPoolStudy(store, 1, 4);
      assert.ok(await claim([local], undefined, 'gpu:0'));
      assert.ok(await claim([local], undefined, 'gpu:1'));
      assert.ok(await claim([pooled], { total: 2, holders: [] }));
      assert.ok(await claim([pooled], { total: 2, holders: [] }));
      assert.equal(await claim([pooled], { total: 2, holders: [] }), undefined);
    });

    it('frees a run\'s GPUs once it finishes', async () => {
      const study = await seedPoolStudy(store, 1, 3);
      const pool = { total: 1, holders: [] };
      const first = (await claim([study], pool))!;
      assert.equal(await claim([study], pool), undefined);
      assert.equal((await store.finishRun(first.id, first.attempt, { status: 'crashed', reason: 'x' }))?.status, 'crashed');
      claimed = claimed.filter((run) => run.id !== first.id);
      const next = await claim([study], pool);
      assert.ok(next);
      assert.notEqual(next.id, first.id);
    });

    if (target.name === 'postgres') {
      // Each claim reads the pool's usage from its own snapshot; without the advisory lock, claims on
      // different connections would each see the others' runs as not running yet and overshoot.
      it('serializes concurrent pool claims across connections', async () => {
        const study = await seedPoolStudy(store, 1, 8);
        const results = await Promise.all(Array.from({ length: 8 }, () => claim([study], { total: 3, holders: [] })));
        const runs = results.filter((run) => run !== undefined);
        assert.equal(runs.length, 3);
        assert.equal(new Set(runs.map((run) => run.id)).size, 3);
        assert.equal((await store.listRunsByStatus(study.study.id, 'running')).length, 3);
      });
    }
  });
}
