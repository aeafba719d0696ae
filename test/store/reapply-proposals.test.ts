// Proposals made ahead against a head that has since moved, on the real Postgres: re-applied to the new
// head when their edits still apply, dropped as invalid with the reason when they do not, and left alone
// once one of their runs has started.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { reapplyProposalsMadeAhead, reapplyStaleProposals } from '../../services/controller/src/scheduler/reapply-proposals.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { addExperiment, claimRequest, seedStudy, spec } from './fixtures.js';

const OLD_HEAD = 'LR = 0.01\nWD = 0.1\nDEPTH = 4\n';
const NEW_HEAD = 'LR = 0.02\nWD = 0.1\nDEPTH = 4\n';

describe('re-applying proposals made ahead', () => {
  let database: TestDatabase;
  let store: Store;

  before(async () => {
    database = await createTestDatabase('reapply_proposals');
    store = await openStore({ databaseUrl: database.url, poolSize: 2 });
  });

  after(async () => {
    await store.close();
    await database.drop();
  });

  it('moves a proposal whose edits still apply, drops one whose edits do not, and leaves a started one alone', async () => {
    const seeded = await seedStudy(store);
    const file = (content: string) => [{ path: 'train.py', content: Buffer.from(content), mode: 0o644 }];
    const oldHead = await store.putRevision(file(OLD_HEAD));
    const newHead = await store.putRevision(file(NEW_HEAD));
    const propose = async (search: string, replace: string, description: string) => {
      const candidate = await store.putRevision(file(OLD_HEAD.replace(search, replace)));
      return store.createExperiment({
        id: randomUUID(), studyId: seeded.study.id, branchId: seeded.branch.id, parentRevisionId: oldHead, candidateRevisionId: candidate,
        hypothesis: 'h', variable: description.split(' ')[0]!, description, changeKey: `k-${description}`, diff: '', repeats: 1,
        runIds: [randomUUID()], edits: [{ path: 'train.py', search, replace }],
      });
    };
    const wd = await propose('WD = 0.1', 'WD = 0.05', 'WD 0.1 -> 0.05');
    const lr = await propose('LR = 0.01', 'LR = 0.005', 'LR 0.01 -> 0.005');
    const depth = await propose('DEPTH = 4', 'DEPTH = 6', 'DEPTH 4 -> 6');
    // DEPTH's run has started: its experiment keeps the head it was made against.
    const claimed = await store.claimQueuedRun(claimRequest([seeded.study.id]));
    assert.ok(claimed);
    const started = [wd, lr, depth].find((e) => e.id === claimed.experimentId)!;

    const outcome = await reapplyProposalsMadeAhead(store, { studyId: seeded.study.id, spec, branchId: seeded.branch.id, headRevisionId: newHead });

    const after = async (id: string) => (await store.getExperiment(id))!;
    for (const experiment of [wd, lr, depth]) {
      const now = await after(experiment.id);
      if (experiment.id === started.id) {
        assert.equal(now.parentRevisionId, oldHead, 'a started experiment is not moved');
        continue;
      }
      if (experiment.id === lr.id) {
        assert.equal(now.status, 'decided');
        assert.equal(now.outcome, 'invalid');
        assert.match(now.reason ?? '', /^dropped: proposed against an earlier head, and its edits no longer apply to the new head \(edits\[0\] \(train\.py\): search text not found/);
        const [run] = await store.listRuns(lr.id);
        assert.equal(run?.status, 'stopped');
        continue;
      }
      assert.equal(now.parentRevisionId, newHead);
      assert.equal(now.status, 'pending');
      const [run] = await store.listRuns(experiment.id);
      assert.equal(run?.revisionId, now.candidateRevisionId);
      const [candidate] = await store.getRevisionFiles(now.candidateRevisionId!);
      assert.equal(candidate!.content.toString(), NEW_HEAD.replace(experiment.edits![0]!.search, experiment.edits![0]!.replace));
      assert.match(now.diff, /^-(WD = 0\.1|DEPTH = 4)$/m);
    }
    assert.equal(outcome.dropped.length, lr.id === started.id ? 0 : 1);
  });

  it('sweeps up proposals left on a head that moved without a re-apply, once', async () => {
    const seeded = await seedStudy(store);
    const file = (content: string) => [{ path: 'train.py', content: Buffer.from(content), mode: 0o644 }];
    const oldHead = await store.putRevision(file(OLD_HEAD));
    const newHead = await store.putRevision(file(NEW_HEAD));
    const baseline = await addExperiment(store, seeded, 1);
    await store.moveBranchHead(seeded.branch.id, { revisionId: oldHead, experimentId: baseline.id, score: 1, values: [1] });
    const candidate = await store.putRevision(file(OLD_HEAD.replace('WD = 0.1', 'WD = 0.05')));
    const proposal = await store.createExperiment({
      id: randomUUID(), studyId: seeded.study.id, branchId: seeded.branch.id, parentRevisionId: oldHead, candidateRevisionId: candidate,
      hypothesis: 'h', variable: 'WD', description: 'WD 0.1 -> 0.05', changeKey: 'k-wd', diff: '', repeats: 1,
      runIds: [randomUUID()], edits: [{ path: 'train.py', search: 'WD = 0.1', replace: 'WD = 0.05' }],
    });
    const sweep = async () => {
      const study = (await store.getStudy(seeded.study.id))!;
      return reapplyStaleProposals(store, {
        study: { ...study, spec },
        experiments: await store.listExperiments(study.id, { limit: 1000 }),
        queuedRuns: await store.listRunsByStatus(study.id, 'queued'),
      });
    };
    assert.deepEqual(await sweep(), [], 'nothing is stale while the head stays');

    // The head moves as a controller killed right after its keep leaves it: no re-apply ran.
    await store.moveBranchHead(seeded.branch.id, { revisionId: newHead, experimentId: baseline.id, score: 0.5, values: [0.5] });
    const swept = await sweep();
    assert.deepEqual(swept.map((s) => ({ branchId: s.branchId, head: s.headRevisionId, reapplied: s.outcome.reapplied })), [
      { branchId: seeded.branch.id, head: newHead, reapplied: [proposal.number] },
    ]);
    assert.equal((await store.getExperiment(proposal.id))?.parentRevisionId, newHead);
    assert.deepEqual(await sweep(), [], 'a second sweep finds nothing left');
  });
});
