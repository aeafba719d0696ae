// The store's guards for λ candidates per head, retries and adoption, on the real Postgres: controllers
// that race respect the cap together, a change is retried once at a time, an adoption happens once per
// round, a branch that moved meanwhile keeps its head, and adoption records do not count towards maxExperiments.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DuplicateChangeError, GenerationFullError } from '../../services/controller/src/errors.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { seedStudy, type Seeded } from './fixtures.js';

describe('generations and adoption in the store', () => {
  let database: TestDatabase;
  let store: Store;

  before(async () => {
    database = await createTestDatabase('generations_adoption');
    store = await openStore({ databaseUrl: database.url, poolSize: 4 });
  });

  after(async () => {
    await store.close();
    await database.drop();
  });

  const candidate = (seeded: Seeded, options: { generationCap?: number; maxExperiments?: number; changeKey?: string; retry?: boolean } = {}) =>
    store.createExperiment({
      id: randomUUID(), studyId: seeded.study.id, branchId: seeded.branch.id, parentRevisionId: seeded.revisionId,
      candidateRevisionId: seeded.revisionId, hypothesis: 'h', variable: 'LR', description: 'LR', changeKey: randomUUID(), diff: '',
      repeats: 1, runIds: [randomUUID()], ...options,
    });

  it('refuses a change tried from the head, and a retry of it only while another try is in flight', async () => {
    const seeded = await seedStudy(store);
    const first = await candidate(seeded, { changeKey: 'LR: 1 -> 2' });
    await assert.rejects(candidate(seeded, { changeKey: 'LR: 1 -> 2' }), DuplicateChangeError);
    await assert.rejects(candidate(seeded, { changeKey: 'LR: 1 -> 2', retry: true }), DuplicateChangeError, 'its first try is still in flight');
    await store.cancelQueuedRuns(first.id);
    assert.equal(await store.decideExperiment({ experimentId: first.id, outcome: 'discard', reason: 'within the noise', score: 1, peakMemoryMb: null, stats: null }), true);
    await assert.rejects(candidate(seeded, { changeKey: 'LR: 1 -> 2' }), DuplicateChangeError, 'not a retry: tried is tried');
    const retries = await Promise.allSettled(Array.from({ length: 4 }, () => candidate(seeded, { changeKey: 'LR: 1 -> 2', retry: true })));
    assert.equal(retries.filter((r) => r.status === 'fulfilled').length, 1, 'racing controllers retry it once');
  });

  it('lets concurrent creators make at most candidatesPerHead pending candidates from one head', async () => {
    const seeded = await seedStudy(store);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => candidate(seeded, { generationCap: 2 })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof GenerationFullError, String(r.reason));
  });

  it('adopts once per round, leaves a branch that moved alone, and does not count the record as an experiment', async () => {
    const seeded = await seedStudy(store);
    const best = await store.putRevision([{ path: 'train.py', content: Buffer.from('LR = 0.02\n'), mode: 0o644 }]);
    const first = await candidate(seeded);
    const adoption = (round: number, fromHeadRevisionId = seeded.revisionId) => store.adoptHead({
      branchId: seeded.branch.id, round, fromHeadRevisionId,
      head: { revisionId: best, experimentId: first.id, score: 0.9, values: [0.9, 0.91] },
      record: {
        id: randomUUID(), studyId: seeded.study.id, branchId: seeded.branch.id, parentRevisionId: fromHeadRevisionId, candidateRevisionId: best,
        hypothesis: 'behind', variable: null, description: "branch 0 adopts branch 1's head", changeKey: null, diff: '', reason: 'better', score: 0.9,
        stats: null,
      },
    });
    const [a, b] = await Promise.all([adoption(1), adoption(1)]);
    assert.equal([a, b].filter(Boolean).length, 1, 'one adoption for the round, however many controllers try');
    const record = (a ?? b)!;
    assert.deepEqual([record.kind, record.outcome, record.status, record.score], ['adopt', 'adopted', 'decided', 0.9]);
    const branch = (await store.getBranch(seeded.branch.id))!;
    assert.deepEqual([branch.headRevisionId, branch.headScore, branch.headValues, branch.adoptionRound], [best, 0.9, [0.9, 0.91], 1]);
    assert.equal(await adoption(2), undefined, 'decided on a head the branch has since left');
    assert.equal((await store.getBranch(seeded.branch.id))!.adoptionRound, 1);

    // One experiment and one adoption record: a cap of 3 allows two more experiments, not a third.
    await candidate(seeded, { maxExperiments: 3 });
    await candidate(seeded, { maxExperiments: 3 });
    await assert.rejects(candidate(seeded, { maxExperiments: 3 }), /already has its 3 experiments/);
    assert.equal(await store.markAdoptionRound(seeded.branch.id, 1), false);
    assert.equal(await store.markAdoptionRound(seeded.branch.id, 2), true);
  });
});
