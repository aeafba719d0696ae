// Fair share in the claim, on a real Postgres: a simulated controller with a few slots claims, finishes
// a random running run, and claims again, many times over, while the test watches who holds the slots.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { RunRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { addExperiment, claimRequest, seedStudy, type Seeded, type SeedOptions } from '../store/fixtures.js';

/** Deterministic, so a failure can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A controller's view of its slots: which run each one holds. */
class SimulatedController {
  readonly held = new Map<string, RunRow>();
  private readonly random: () => number;

  constructor(
    private readonly store: Store,
    readonly slots: number,
    seed = 1,
  ) {
    this.random = mulberry32(seed);
  }

  /** Claims until every slot is busy or nothing is claimable; returns how many were claimed. */
  async fill(onClaim?: () => void): Promise<number> {
    let claimed = 0;
    for (let i = 0; i < this.slots; i++) {
      const slot = `slot${i}`;
      if (this.held.has(slot)) continue;
      const run = await this.store.claimQueuedRun(claimRequest(undefined, slot));
      if (!run) return claimed;
      this.held.set(slot, run);
      claimed += 1;
      onClaim?.();
    }
    return claimed;
  }

  /** Finishes one running run, picked at random, and frees its slot. */
  async finishOne(): Promise<RunRow> {
    const slots = [...this.held.keys()];
    const slot = slots[Math.floor(this.random() * slots.length)]!;
    const run = this.held.get(slot)!;
    this.held.delete(slot);
    assert.ok(await this.store.finishRun(run.id, run.attempt, { status: 'crashed', reason: 'simulated end' }));
    return run;
  }

  /** Finishes a run of the given study and frees its slot. */
  async finishOneOf(studyId: string): Promise<void> {
    const [slot, run] = [...this.held].find(([, r]) => r.studyId === studyId)!;
    this.held.delete(slot);
    assert.ok(await this.store.finishRun(run.id, run.attempt, { status: 'crashed', reason: 'simulated end' }));
  }

  /** Running runs per study, as the controller sees them. */
  holdings(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const run of this.held.values()) counts.set(run.studyId, (counts.get(run.studyId) ?? 0) + 1);
    return counts;
  }
}

describe('fair share in the claim', () => {
  let database: TestDatabase;
  let store: Store;

  before(async () => {
    database = await createTestDatabase('fair_share');
  });
  after(async () => {
    await database.drop();
  });
  // Each scenario starts with an empty queue: every study of the last one is stopped.
  beforeEach(async () => {
    store = await openStore({ databaseUrl: database.url, poolSize: 4 });
  });
  afterEach(async () => {
    for (const study of await store.listStudiesByStatus(['running'])) await store.updateStudy(study.id, { status: 'stopped' });
    await store.close();
  });

  async function studyWithRuns(runs: number, options: SeedOptions = {}): Promise<Seeded> {
    const seeded = await seedStudy(store, options);
    for (let i = 0; i < runs / 2; i++) await addExperiment(store, seeded, 2);
    return seeded;
  }

  async function runningInDatabase(studyId: string): Promise<number> {
    return (await store.listRunsByStatus(studyId, 'running')).length;
  }

  it('keeps three equal studies at 1 or 2 of 4 slots each, through 100 turnovers', async () => {
    const studies = await Promise.all([studyWithRuns(80), studyWithRuns(80), studyWithRuns(80)]);
    const controller = new SimulatedController(store, 4, 7);
    const check = (when: string) => {
      const holdings = controller.holdings();
      for (const { study } of studies) {
        const n = holdings.get(study.id) ?? 0;
        assert.ok(n >= 1 && n <= 2, `${when}: study ${study.id} holds ${n} of 4 slots (${JSON.stringify([...holdings])})`);
      }
    };
    assert.equal(await controller.fill(), 4);
    check('after the first fill');
    for (let turn = 1; turn <= 100; turn++) {
      await controller.finishOne();
      assert.equal(await controller.fill(), 1);
      check(`turnover ${turn}`);
    }
    // The database agrees with the simulated controller's view.
    for (const { study } of studies) assert.equal(await runningInDatabase(study.id), controller.holdings().get(study.id));
  });

  it('gives a priority-2 study twice the slots of a priority-1 study', async () => {
    const high = await studyWithRuns(120, { priority: 2 });
    const low = await studyWithRuns(120, { priority: 1 });
    const controller = new SimulatedController(store, 6, 11);
    let highSlotTurns = 0;
    let lowSlotTurns = 0;
    await controller.fill();
    for (let turn = 1; turn <= 100; turn++) {
      await controller.finishOne();
      await controller.fill();
      const holdings = controller.holdings();
      const [h, l] = [holdings.get(high.study.id) ?? 0, holdings.get(low.study.id) ?? 0];
      assert.deepEqual([h, l], [4, 2], `turnover ${turn}`);
      highSlotTurns += h;
      lowSlotTurns += l;
    }
    assert.equal(highSlotTurns / lowSlotTurns, 2);
  });

  it('holds a team to its quota while another team takes every other slot', async () => {
    const capped = await store.ensureTeam('capped', { quotaSlots: 1 });
    const open = await store.ensureTeam('open');
    // Two studies in the capped team: the quota is the team's, not each study's.
    const cappedStudies = await Promise.all([studyWithRuns(60, { teamId: capped.id }), studyWithRuns(60, { teamId: capped.id })]);
    const openStudy = await studyWithRuns(200, { teamId: open.id });
    const controller = new SimulatedController(store, 4, 3);
    const cappedHeld = () => cappedStudies.reduce((sum, s) => sum + (controller.holdings().get(s.study.id) ?? 0), 0);
    await controller.fill(() => assert.ok(cappedHeld() <= 1, 'the capped team never holds more than its quota'));
    for (let turn = 1; turn <= 100; turn++) {
      await controller.finishOne();
      await controller.fill(() => assert.ok(cappedHeld() <= 1, `turnover ${turn}: the capped team holds ${cappedHeld()}`));
      assert.equal(cappedHeld(), 1, `turnover ${turn}: the capped team has its one slot`);
      assert.equal(controller.holdings().get(openStudy.study.id), 3, `turnover ${turn}: the open team's study waits for no slot`);
    }
    // With the other team's work gone, the capped team still gets only its quota: slots stay free.
    await store.updateStudy(openStudy.study.id, { status: 'stopped' });
    for (const [slot, run] of controller.held) {
      if (run.studyId !== openStudy.study.id) continue;
      await store.finishRun(run.id, run.attempt, { status: 'stopped', reason: 'study stopped' });
      controller.held.delete(slot);
    }
    assert.equal(await controller.fill(), 0);
    assert.equal(controller.held.size, 1);
    // Raising the quota lets the team fill the free slots.
    await store.setTeamQuota('capped', 3);
    assert.equal(await controller.fill(), 2);
    assert.equal(cappedHeld(), 3);
    // A quota of 0 pauses the team.
    await store.setTeamQuota('capped', 0);
    await controller.finishOne();
    assert.equal(await controller.fill(), 0);
  });

  it('gives a study submitted to a busy queue a slot within one turnover', async () => {
    const studies = await Promise.all([studyWithRuns(80), studyWithRuns(80), studyWithRuns(80)]);
    const controller = new SimulatedController(store, 4, 5);
    await controller.fill();
    for (let turn = 1; turn <= 20; turn++) {
      await controller.finishOne();
      await controller.fill();
    }
    const late = await studyWithRuns(10);
    assert.equal(controller.holdings().get(late.study.id), undefined);
    // The turnover frees a slot of a study holding two, so no older study is waiting at zero as well
    // (then the one waiting longest would go first, and the new study one turnover later).
    const [busiest] = [...controller.holdings()].sort((a, b) => b[1] - a[1]);
    assert.equal(busiest![1], 2);
    await controller.finishOneOf(busiest![0]);
    await controller.fill();
    assert.equal(controller.holdings().get(late.study.id), 1);
    assert.equal(await runningInDatabase(late.study.id), 1);
    assert.ok(studies.every(({ study }) => (controller.holdings().get(study.id) ?? 0) >= 1));
  });

  it('takes only from the given studies, and never hands one run to two concurrent claims', async () => {
    const studies = await Promise.all([studyWithRuns(4), studyWithRuns(4), studyWithRuns(4)]);
    const other = await studyWithRuns(4);
    const ids = studies.map((s) => s.study.id);
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claimQueuedRun(claimRequest(ids, `slot${i}`))));
    const claimed = claims.filter((c) => c !== undefined);
    assert.equal(claimed.length, 12);
    assert.equal(new Set(claimed.map((c) => c.id)).size, 12);
    assert.equal(await runningInDatabase(other.study.id), 0);
    assert.equal(await store.claimQueuedRun(claimRequest([], 'slotX')), undefined);
  });
});
