// The store, against both of its drivers: one suite, run on PGlite (embedded mode) and on a real
// Postgres (distributed mode), so the two can never drift apart.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { queryRows } from '../../services/controller/src/store/db.js';
import { findMigrationsFolder } from '../../services/controller/src/store/migrations-folder.js';
import { hashApiToken } from '../../services/controller/src/store/queries/api-tokens.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { blobs, studies } from '../../services/controller/src/store/schema.js';
import { StoreUnavailableError } from '../../services/controller/src/store/store-errors.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { createTestDatabase } from '../support/postgres.js';
import { addExperiment, claimRequest, resultFor, seedStudy, spec } from './fixtures.js';

interface Target {
  name: 'pglite' | 'postgres';
  open(): Promise<{ store: Store; reopen(): Promise<Store>; cleanup(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'pglite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'autoresearch-store-'));
      const started = Date.now();
      const store = await openStore({ pgliteDir: dir });
      console.log(`# PGlite: created, initialized and migrated in ${Date.now() - started} ms`);
      return {
        store,
        reopen: () => openStore({ pgliteDir: dir }),
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
      const database = await createTestDatabase('store_test');
      const store = await openStore({ databaseUrl: database.url, poolSize: 8 });
      return {
        store,
        reopen: () => openStore({ databaseUrl: database.url, poolSize: 2 }),
        cleanup: async () => {
          await store.close();
          await database.drop();
        },
      };
    },
  },
];

for (const target of targets) {
  describe(`store on ${target.name}`, () => {
    let store: Store;
    let reopen: () => Promise<Store>;
    let cleanup: (() => Promise<void>) | undefined;

    before(async () => {
      ({ store, reopen, cleanup } = await target.open());
    });
    after(async () => {
      await cleanup?.();
    });

    it('applies the migrations once and reports its driver', async () => {
      assert.equal(store.driver, target.name);
      const journal = JSON.parse(await readFile(join(findMigrationsFolder(), 'meta', '_journal.json'), 'utf8')) as {
        entries: unknown[];
      };
      const applied = await queryRows(store.db, sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
      assert.equal(applied[0]!.n, journal.entries.length);
      const tables = await queryRows(
        store.db,
        sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      assert.deepEqual(
        tables.map((t) => t.table_name),
        ['api_tokens', 'blobs', 'branches', 'events', 'experiments', 'metrics', 'revisions', 'run_logs', 'runs', 'skill_outputs', 'studies', 'teams'],
      );
    });

    if (target.name === 'pglite') {
      it('refuses a second open of the same data folder while the first is open', async () => {
        await assert.rejects(reopen(), (error: unknown) => {
          assert.ok(error instanceof StoreUnavailableError);
          assert.equal(error.code, 'STORE_UNAVAILABLE');
          assert.match(error.message, new RegExp(`in use by process ${process.pid}`));
          return true;
        });
      });
    } else {
      it('opens again, concurrently, without applying the migrations twice', async () => {
        const others = await Promise.all([reopen(), reopen(), reopen()]);
        await Promise.all(others.map((other) => other.close()));
        const journal = JSON.parse(await readFile(join(findMigrationsFolder(), 'meta', '_journal.json'), 'utf8')) as {
          entries: unknown[];
        };
        const applied = await queryRows(store.db, sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
        assert.equal(applied[0]!.n, journal.entries.length);
      });
    }

    describe('studies', () => {
      it('creates, reads, updates and finds by source folder', async () => {
        const { study } = await seedStudy(store, { sourceDir: `/work/${randomUUID()}` });
        assert.equal(study.status, 'running');
        assert.deepEqual(study.spec, spec);
        assert.deepEqual(study.stopOverrides, {});
        assert.ok(study.createdAt instanceof Date);
        assert.deepEqual(await store.getStudy(study.id), study);
        assert.equal(await store.getStudy(randomUUID()), undefined);

        const stoppedAt = new Date('2026-02-03T04:05:06.789Z');
        const updated = await store.updateStudy(study.id, {
          status: 'stopped',
          stopReason: 'plateau',
          noiseSigma: 0.0042,
          stoppedAt,
          stopOverrides: { maxExperiments: 10 },
        });
        assert.equal(updated?.status, 'stopped');
        assert.equal(updated?.stopReason, 'plateau');
        assert.equal(updated?.noiseSigma, 0.0042);
        assert.deepEqual(updated?.stoppedAt, stoppedAt);
        assert.deepEqual(updated?.stopOverrides, { maxExperiments: 10 });
        assert.equal(await store.updateStudy(randomUUID(), { status: 'stopped' }), undefined);

        const newer = await seedStudy(store, { sourceDir: study.sourceDir! });
        assert.equal((await store.findStudyBySourceDir(study.sourceDir!))?.id, newer.study.id);
        assert.equal(await store.findStudyBySourceDir('/nowhere'), undefined);
        const stopped = await store.listStudiesByStatus(['stopped']);
        assert.ok(stopped.some((s) => s.id === study.id));
        assert.ok(!stopped.some((s) => s.id === newer.study.id));
      });

      it('pages through every study newest first, ties broken by id, none skipped', async () => {
        // Three studies created in the same millisecond: only the id tells them apart.
        const sameMoment = new Date(Date.now() + 60_000);
        const { id: teamId } = await store.ensureTeam('local');
        for (const id of ['tie-b', 'tie-c', 'tie-a']) {
          await store.db.insert(studies).values({ id, teamId, name: id, flavor: 'training', spec, specHash: 'h', createdAt: sameMoment });
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listStudies({ limit: 2, ...(cursor ? { cursor } : {}) });
          assert.ok(page.items.length <= 2);
          seen.push(...page.items.map((s) => s.id));
          cursor = page.nextCursor ?? undefined;
          pages += 1;
        } while (cursor);
        const all = await store.db.select({ id: studies.id }).from(studies);
        assert.equal(seen.length, all.length);
        assert.equal(new Set(seen).size, seen.length);
        assert.deepEqual(seen.slice(0, 3), ['tie-c', 'tie-b', 'tie-a']);
        assert.equal(pages, Math.ceil(all.length / 2));
        await assert.rejects(store.listStudies({ limit: 2, cursor: 'not-a-cursor' }), { code: 'INVALID_INPUT' });
      });
    });

    describe('teams and API tokens', () => {
      it('ensures a team once, and changes its quota only when asked', async () => {
        const name = `team-${randomUUID().slice(0, 8)}`;
        const created = await store.ensureTeam(name, { quotaSlots: 3 });
        assert.equal(created.quotaSlots, 3);
        const again = await Promise.all([store.ensureTeam(name), store.ensureTeam(name)]);
        assert.deepEqual(again, [created, created]);
        assert.equal((await store.ensureTeam(name, { quotaSlots: null })).quotaSlots, null);
        assert.equal((await store.setTeamQuota(name, 1))?.quotaSlots, 1);
        assert.equal(await store.setTeamQuota('no-such-team', 1), undefined);
        await assert.rejects(store.ensureTeam('has space'), { code: 'INVALID_INPUT' });
        await assert.rejects(store.setTeamQuota(name, -1), { code: 'INVALID_INPUT' });
      });

      it('stores only the hash of a token, finds its team, touches it at most once a minute, and revokes it', async () => {
        const teamName = `team-${randomUUID().slice(0, 8)}`;
        const { token, id } = await store.createApiToken({ teamName, name: 'ada' });
        assert.match(token, /^ar_[A-Za-z0-9_-]{43}$/);
        const [row] = await queryRows(store.db, sql`SELECT * FROM api_tokens WHERE id = ${id}`);
        assert.equal(row!.token_hash, hashApiToken(token));
        assert.ok(!JSON.stringify(row).includes(token.slice(3)), 'the token itself is not stored');
        assert.equal(row!.last_used_at, null);

        const found = await store.findTeamByTokenHash(hashApiToken(token));
        assert.deepEqual(found, { id: (await store.getTeamByName(teamName))!.id, name: teamName, quotaSlots: null, tokenId: id, tokenName: 'ada' });
        const lastUsed = async () => (await queryRows(store.db, sql`SELECT last_used_at::text AS t FROM api_tokens WHERE id = ${id}`))[0]!.t;
        const first = await lastUsed();
        assert.ok(first);
        await store.findTeamByTokenHash(hashApiToken(token));
        assert.equal(await lastUsed(), first, 'a second use within the minute writes nothing');
        await store.db.execute(sql`UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = ${id}`);
        const stale = await lastUsed();
        await store.findTeamByTokenHash(hashApiToken(token));
        assert.notEqual(await lastUsed(), stale);

        assert.equal(await store.findTeamByTokenHash(hashApiToken('ar_not-a-token')), null);
        assert.equal(await store.revokeApiToken(id), true);
        assert.equal(await store.revokeApiToken(id), false);
        assert.equal(await store.findTeamByTokenHash(hashApiToken(token)), null);
        await assert.rejects(store.createApiToken({ teamName, name: '  ' }), { code: 'INVALID_INPUT' });
      });

      it('puts a study in the local team by default, and records team, owner and priority when given', async () => {
        const { study } = await seedStudy(store);
        assert.equal(study.teamId, (await store.getTeamByName('local'))!.id);
        assert.equal(study.priority, 1);
        assert.equal(study.owner, null);
        const team = await store.ensureTeam(`team-${randomUUID().slice(0, 8)}`);
        const owned = await store.createStudy({
          id: randomUUID(), name: 'tiny', flavor: 'training', spec, specHash: 'h', sourceDir: null,
          teamId: team.id, owner: 'ada', priority: 3,
        });
        assert.deepEqual([owned.teamId, owned.owner, owned.priority], [team.id, 'ada', 3]);
        const page = await store.listStudies({ limit: 10, teamId: team.id });
        assert.deepEqual(page.items.map((s) => s.id), [owned.id]);
        await assert.rejects(
          store.createStudy({ id: randomUUID(), name: 'x', flavor: 'training', spec, specHash: 'h', sourceDir: null, priority: 0 }),
          { code: 'INVALID_INPUT' },
        );
      });
    });

    describe('revisions', () => {
      it('gives the same files the same id, whatever their order, and shares blobs', async () => {
        const shared = Buffer.from(`shared ${randomUUID()}`);
        const a = { path: 'a.txt', content: Buffer.from(`a ${randomUUID()}`), mode: 0o644 };
        const b = { path: 'dir/b.sh', content: shared, mode: 0o755 };
        const first = await store.putRevision([a, b]);
        const again = await store.putRevision([b, a]);
        assert.equal(again, first);
        assert.match(first, /^[0-9a-f]{64}$/);

        const blobCount = async () => (await store.db.select({ sha256: blobs.sha256 }).from(blobs)).length;
        const before = await blobCount();
        const other = await store.putRevision([{ path: 'c.txt', content: shared, mode: 0o644 }, b]);
        assert.notEqual(other, first);
        assert.equal(await blobCount(), before, 'no new blob: both files hold bytes already stored');
        // Only the mode differs: a different tree.
        assert.notEqual(await store.putRevision([a, { ...b, mode: 0o644 }]), first);

        const manifest = await store.getRevisionManifest(first);
        assert.deepEqual(manifest.map((e) => [e.path, e.mode]), [['a.txt', 0o644], ['dir/b.sh', 0o755]]);
      });

      it('returns binary content byte for byte, sorted by path, with modes', async () => {
        const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const random = Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(Math.random() * 256)));
        const files = [
          { path: 'z/weights.bin', content: random, mode: 0o600 },
          { path: 'bytes.bin', content: everyByte, mode: 0o644 },
          { path: 'empty', content: Buffer.alloc(0), mode: 0o755 },
        ];
        const id = await store.putRevision(files);
        const read = await store.getRevisionFiles(id);
        assert.deepEqual(read.map((f) => f.path), ['bytes.bin', 'empty', 'z/weights.bin']);
        for (const file of read) {
          const original = files.find((f) => f.path === file.path)!;
          assert.ok(Buffer.isBuffer(file.content));
          assert.ok(file.content.equals(original.content), `${file.path} round-trips`);
          assert.equal(file.mode, original.mode);
        }
      });

      it('rejects an unknown revision and duplicate paths', async () => {
        await assert.rejects(store.getRevisionFiles('f'.repeat(64)), { code: 'NOT_FOUND' });
        await assert.rejects(store.getRevisionManifest('f'.repeat(64)), { code: 'NOT_FOUND' });
        const file = { path: 'x', content: Buffer.from('x'), mode: 0o644 };
        await assert.rejects(store.putRevision([file, file]), { code: 'INVALID_INPUT' });
      });
    });

    describe('branches and experiments', () => {
      it('lists branches in index order', async () => {
        const seeded = await seedStudy(store);
        await store.createBranch({ id: randomUUID(), studyId: seeded.study.id, index: 2, headRevisionId: seeded.revisionId });
        await store.createBranch({ id: randomUUID(), studyId: seeded.study.id, index: 1, headRevisionId: seeded.revisionId });
        const listed = await store.listBranches(seeded.study.id);
        assert.deepEqual(listed.map((b) => b.index), [0, 1, 2]);
        assert.deepEqual(await store.getBranch(seeded.branch.id), seeded.branch);
        assert.deepEqual(seeded.branch.headValues, []);
        assert.equal(seeded.branch.headScore, null);
      });

      it('numbers experiments densely, also when created concurrently, with their queued runs', async () => {
        const seeded = await seedStudy(store);
        const baseline = await addExperiment(store, seeded, 3);
        assert.equal(baseline.number, 0);
        assert.equal(baseline.status, 'pending');
        const concurrent = await Promise.all(Array.from({ length: 10 }, () => addExperiment(store, seeded)));
        assert.deepEqual(concurrent.map((e) => e.number).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert.equal(await store.countExperiments(seeded.study.id), 11);

        const runs = await store.listRuns(baseline.id);
        assert.deepEqual(runs.map((r) => [r.repeatIndex, r.status, r.attempt]), [[0, 'queued', 0], [1, 'queued', 0], [2, 'queued', 0]]);
        assert.ok(runs.every((r) => r.revisionId === seeded.revisionId && r.studyId === seeded.study.id));
        assert.deepEqual(await store.getRun(runs[1]!.id), runs[1]);

        assert.deepEqual((await store.getExperimentByNumber(seeded.study.id, 5))?.number, 5);
        assert.equal(await store.getExperimentByNumber(seeded.study.id, 99), undefined);
        const page = await store.listExperiments(seeded.study.id, { limit: 4, afterNumber: 2 });
        assert.deepEqual(page.map((e) => e.number), [3, 4, 5, 6]);
        assert.equal((await store.listExperiments(seeded.study.id, { limit: 100, status: 'decided' })).length, 0);
        assert.equal((await store.listExperiments(seeded.study.id, { limit: 100, branchId: seeded.branch.id })).length, 11);
        await assert.rejects(addExperiment(store, { ...seeded, study: { ...seeded.study, id: randomUUID() } }), {
          code: 'NOT_FOUND',
        });
      });

      it('stores an invalid experiment decided, with no runs, and keeps counting', async () => {
        const seeded = await seedStudy(store);
        await addExperiment(store, seeded);
        const invalid = await store.createExperiment({
          id: randomUUID(),
          studyId: seeded.study.id,
          branchId: seeded.branch.id,
          parentRevisionId: seeded.revisionId,
          candidateRevisionId: null,
          hypothesis: 'h',
          variable: 'LR',
          description: 'edit did not apply',
          changeKey: 'LR=bad',
          diff: '',
          repeats: 2,
          runIds: [],
          outcome: 'invalid',
          reason: 'the edit targets a read-only file',
        });
        assert.equal(invalid.number, 1);
        assert.equal(invalid.status, 'decided');
        assert.equal(invalid.outcome, 'invalid');
        assert.equal(invalid.reason, 'the edit targets a read-only file');
        assert.ok(invalid.decidedAt instanceof Date);
        assert.deepEqual(await store.listRuns(invalid.id), []);
        assert.equal((await addExperiment(store, seeded)).number, 2);
        assert.deepEqual(await store.listTriedChangeKeys(seeded.study.id, seeded.revisionId).then((k) => k.includes('LR=bad')), true);
      });
    });

    describe('claiming runs', () => {
      it('takes queued runs in experiment then repeat order, only from running studies', async () => {
        const seeded = await seedStudy(store);
        const first = await addExperiment(store, seeded, 2);
        const second = await addExperiment(store, seeded, 2);
        const stopped = await seedStudy(store, { status: 'stopped' });
        await addExperiment(store, stopped, 2);
        const studyIds = [seeded.study.id, stopped.study.id];

        const expected = [...(await store.listRuns(first.id)), ...(await store.listRuns(second.id))];
        const request = claimRequest(studyIds, 'gpu3');
        const claimed = await store.claimQueuedRun(request);
        assert.equal(claimed?.id, expected[0]!.id);
        assert.equal(claimed?.status, 'running');
        assert.equal(claimed?.attempt, 1);
        assert.equal(claimed?.slot, 'gpu3');
        assert.equal(claimed?.host, 'test-host');
        assert.equal(claimed?.tokenHash, request.tokenHash);
        assert.ok(claimed?.startedAt instanceof Date && claimed.heartbeatAt instanceof Date);
        assert.deepEqual(claimed, await store.getRun(claimed.id));

        const rest = [];
        for (let i = 0; i < 4; i++) rest.push(await store.claimQueuedRun(claimRequest(studyIds)));
        assert.deepEqual(rest.map((r) => r?.id), [expected[1]!.id, expected[2]!.id, expected[3]!.id, undefined]);
        assert.equal((await store.listRunsByStatus(stopped.study.id, 'queued')).length, 2);
        assert.equal(await store.claimQueuedRun(claimRequest([])), undefined);
        assert.deepEqual(
          (await store.listRunsByStatus(seeded.study.id, 'running')).map((r) => r.id),
          expected.map((r) => r.id),
        );
      });

      it('never hands the same run to two concurrent claims', async () => {
        const seeded = await seedStudy(store);
        for (let i = 0; i < 4; i++) await addExperiment(store, seeded, 3);
        const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => store.claimQueuedRun(claimRequest([seeded.study.id], `slot${i}`))));
        const ids = claims.filter((c) => c !== undefined).map((c) => c.id);
        assert.equal(ids.length, 12);
        assert.equal(new Set(ids).size, 12);
        assert.ok(claims.filter((c) => c !== undefined).every((c) => c.attempt === 1));
      });
    });

    describe('results and run lifecycle', () => {
      async function claimedRun() {
        const seeded = await seedStudy(store);
        const experiment = await addExperiment(store, seeded, 1);
        const run = (await store.claimQueuedRun(claimRequest([seeded.study.id])))!;
        return { seeded, experiment, run };
      }

      it('ingests a result once; a redelivery or a stale attempt changes nothing', async () => {
        const { run } = await claimedRun();
        const message = resultFor(run.id, run.attempt);
        const first = await store.ingestResult(message);
        assert.equal(first.applied, true);
        assert.equal(first.run?.status, 'succeeded');
        assert.equal(first.run?.exitCode, 0);
        assert.equal(first.run?.peakMemoryMb, 512.5);
        assert.deepEqual(first.run?.metrics, message.metrics);
        assert.deepEqual(first.run?.logTail, message.logTail);
        assert.deepEqual(first.run?.finishedAt, new Date(message.finishedAt));
        assert.deepEqual(first.run, await store.getRun(run.id));

        assert.deepEqual(await store.ingestResult(message), { applied: false });
        assert.deepEqual(await store.ingestResult({ ...message, attempt: run.attempt + 1, status: 'crashed' }), { applied: false });
        const finals = await store.getMetrics(run.id, { kind: 'final' });
        assert.deepEqual(finals.map((m) => [m.name, m.value, m.attempt]).sort(), [
          ['training_seconds', 300.1, 1],
          ['val_bpb', 0.9979, 1],
        ]);
        assert.equal((await store.getRun(run.id))?.status, 'succeeded');
      });

      it("stores a skill run's output with its verdicts once, and lists only each run's current attempt", async () => {
        const seeded = await seedStudy(store);
        const experiment = await addExperiment(store, seeded, 2);
        const run = (await store.claimQueuedRun(claimRequest([seeded.study.id], 'cpu0')))!;
        const skill = {
          input: 'alpha', holdout: false, output: 'Dark mode ships today.', modelCalls: 2, inputTokens: 120, outputTokens: 30,
          verdicts: [
            { eval: 'short', pass: true, evidence: '4 words' },
            { eval: 'summary', pass: false, evidence: 'Dark mode ships today.', reason: 'the judge answered no' },
          ],
        };
        const message = { ...resultFor(run.id, run.attempt), metrics: { passes: 1, evals: 2, pass_rate: 0.5 }, skill };
        assert.equal((await store.ingestResult(message)).applied, true);
        assert.equal((await store.ingestResult(message)).applied, false, 'a redelivery');
        const [stored, ...rest] = await store.listSkillOutputs({ studyId: seeded.study.id });
        assert.equal(rest.length, 0, 'stored once');
        assert.equal(stored!.experimentId, experiment.id);
        assert.equal(stored!.output, skill.output);
        assert.deepEqual(stored!.verdicts, skill.verdicts);
        assert.equal(stored!.status, 'succeeded');
        assert.equal(stored!.modelCalls, 2);
        assert.deepEqual(await store.listSkillOutputs({ studyId: seeded.study.id, experimentIds: [] }), []);

        // A run stopped midway (its output reported with the stop) and run again when the study resumes:
        // until the new attempt reports, the run has no current output.
        const other = (await store.claimQueuedRun(claimRequest([seeded.study.id], 'cpu1')))!;
        assert.equal((await store.ingestResult({ ...message, runId: other.id, attempt: other.attempt, status: 'stopped' })).applied, true);
        assert.equal((await store.listSkillOutputs({ studyId: seeded.study.id })).length, 2);
        assert.equal(await store.requeueUnfinishedRuns(seeded.study.id), 1);
        assert.equal((await store.claimQueuedRun(claimRequest([seeded.study.id], 'cpu1')))?.id, other.id);
        assert.deepEqual((await store.listSkillOutputs({ studyId: seeded.study.id })).map((o) => o.runId), [run.id]);
      });

      it('adds runs to an experiment once, under a count guard, growing its repeats for working runs', async () => {
        const seeded = await seedStudy(store);
        const experiment = await addExperiment(store, seeded, 2);
        const more = { experimentId: experiment.id, role: 'working' as const, whenCount: 2 };
        assert.equal(await store.addRuns({ ...more, runIds: [randomUUID(), randomUUID()] }), 2);
        assert.equal(await store.addRuns({ ...more, runIds: [randomUUID(), randomUUID()] }), 0, 'a second controller making the same decision adds nothing');
        assert.equal((await store.getExperiment(experiment.id))?.repeats, 4);
        assert.equal(await store.addRuns({ experimentId: experiment.id, role: 'holdout', whenCount: 0, runIds: [randomUUID()] }), 1);
        const runs = await store.listRuns(experiment.id);
        assert.deepEqual(runs.map((r) => [r.repeatIndex, r.role, r.status]), [
          [0, 'working', 'queued'], [1, 'working', 'queued'], [2, 'working', 'queued'], [3, 'working', 'queued'], [4, 'holdout', 'queued'],
        ]);
        assert.equal((await store.getExperiment(experiment.id))?.repeats, 4, 'holdout runs are not repeats');
      });

      it('requeues running runs; the next claim is a new attempt and the old one is ignored', async () => {
        const { seeded, run } = await claimedRun();
        assert.equal(await store.touchHeartbeat(run.id, run.attempt), true);
        assert.equal(await store.requeueRunningRuns(seeded.study.id), 1);
        const requeued = await store.getRun(run.id);
        assert.equal(requeued?.status, 'queued');
        assert.equal(requeued?.tokenHash, null);
        assert.equal(await store.touchHeartbeat(run.id, run.attempt), false);

        const again = await store.claimQueuedRun(claimRequest([seeded.study.id]));
        assert.equal(again?.id, run.id);
        assert.equal(again?.attempt, 2);
        assert.equal((await store.ingestResult(resultFor(run.id, 1))).applied, false);
        assert.equal(await store.touchHeartbeat(run.id, 1), false);
        assert.equal(await store.touchHeartbeat(run.id, 2), true);
        assert.equal(await store.recordRunStarted(run.id, 2, { host: 'node-7', startedAt: new Date() }), true);
        assert.equal((await store.getRun(run.id))?.host, 'node-7');
        assert.equal((await store.ingestResult(resultFor(run.id, 2))).applied, true);
        assert.deepEqual((await store.getMetrics(run.id, { kind: 'final' })).map((m) => m.attempt), [2, 2]);
      });

      it('finishes a run without a result only while that attempt is running', async () => {
        const { run } = await claimedRun();
        assert.equal(await store.finishRun(run.id, run.attempt + 1, { status: 'lost', reason: 'x' }), undefined);
        const lost = await store.finishRun(run.id, run.attempt, { status: 'lost', reason: 'agent heartbeat missed' });
        assert.equal(lost?.status, 'lost');
        assert.equal(lost?.reason, 'agent heartbeat missed');
        assert.ok(lost?.finishedAt instanceof Date);
        assert.equal(await store.finishRun(run.id, run.attempt, { status: 'crashed', reason: 'late' }), undefined);
        assert.equal((await store.ingestResult(resultFor(run.id, run.attempt))).applied, false);
      });

      it('lists silent runs, cancels queued runs, and requeues the unfinished runs of undecided experiments', async () => {
        const { seeded, experiment, run } = await claimedRun();
        assert.deepEqual((await store.listSilentRuns(new Date(Date.now() + 60_000))).some((r) => r.id === run.id), true);
        assert.deepEqual((await store.listSilentRuns(new Date(Date.now() - 60_000))).some((r) => r.id === run.id), false);

        const pending = await addExperiment(store, seeded, 3);
        assert.equal(await store.cancelQueuedRuns(pending.id, 'study stopped'), 3);
        assert.deepEqual((await store.listRuns(pending.id)).map((r) => [r.status, r.reason]), [
          ['stopped', 'study stopped'],
          ['stopped', 'study stopped'],
          ['stopped', 'study stopped'],
        ]);
        assert.equal(await store.cancelQueuedRuns(pending.id), 0);

        const decided = await addExperiment(store, seeded, 1);
        await store.cancelQueuedRuns(decided.id);
        assert.equal(await store.decideExperiment({ experimentId: decided.id, outcome: 'stopped', reason: 'r', score: null, peakMemoryMb: null, stats: null }), true);

        // The first experiment's run is still running; the second's are stopped; the third is decided.
        assert.equal(await store.requeueUnfinishedRuns(seeded.study.id), 4);
        assert.equal((await store.getRun(run.id))?.status, 'queued');
        assert.ok((await store.listRuns(pending.id)).every((r) => r.status === 'queued' && r.finishedAt === null));
        assert.deepEqual((await store.listRuns(decided.id)).map((r) => r.status), ['stopped']);
        assert.equal(experiment.status, 'pending');
      });
    });

    describe('decisions', () => {
      it('decides an experiment once, moves the head, and records the event in the same transaction', async () => {
        const seeded = await seedStudy(store);
        const experiment = await addExperiment(store, seeded, 2);
        const candidate = await store.putRevision([{ path: 'train.py', content: Buffer.from(`LR = 0.02 ${randomUUID()}`), mode: 0o644 }]);
        const stats = {
          rule: 'baseline' as const,
          delta: null,
          sigma: 0.01,
          threshold: null,
          nCandidate: 2,
          nHead: 0,
          candidateMean: 0.99,
          headMean: null,
          pValue: null,
          summary: 'baseline',
        };
        const decision = {
          experimentId: experiment.id,
          outcome: 'baseline' as const,
          reason: 'first experiment of the branch',
          score: 0.99,
          peakMemoryMb: 1024,
          stats,
          newHead: { branchId: seeded.branch.id, revisionId: candidate, experimentId: experiment.id, score: 0.99, values: [0.98, 1] },
        };
        assert.equal(await store.decideExperiment(decision), true);
        const decided = await store.getExperiment(experiment.id);
        assert.equal(decided?.status, 'decided');
        assert.equal(decided?.outcome, 'baseline');
        assert.equal(decided?.score, 0.99);
        assert.deepEqual(decided?.stats, stats);
        assert.ok(decided?.decidedAt instanceof Date);
        const branch = await store.getBranch(seeded.branch.id);
        assert.equal(branch?.headRevisionId, candidate);
        assert.equal(branch?.headExperimentId, experiment.id);
        assert.equal(branch?.headScore, 0.99);
        assert.deepEqual(branch?.headValues, [0.98, 1]);

        const twice = await store.decideExperiment({
          ...decision,
          outcome: 'keep',
          newHead: { ...decision.newHead, revisionId: seeded.revisionId, score: 0.5, values: [0.5] },
        });
        assert.equal(twice, false);
        assert.deepEqual(await store.getBranch(seeded.branch.id), branch);
        assert.equal((await store.getExperiment(experiment.id))?.outcome, 'baseline');
        const events = await store.listEvents(seeded.study.id, { limit: 100 });
        assert.deepEqual(events.map((e) => e.type), ['experiment.decided']);
        assert.equal(events[0]!.payload.experimentId, experiment.id);
        assert.equal(events[0]!.payload.headMoved, true);

        const orphan = await addExperiment(store, seeded, 1);
        await assert.rejects(
          store.decideExperiment({ ...decision, experimentId: orphan.id, newHead: { ...decision.newHead, branchId: randomUUID() } }),
          { code: 'NOT_FOUND' },
        );
        assert.equal((await store.getExperiment(orphan.id))?.status, 'pending', 'the decision rolled back with the head');

        const other = await store.moveBranchHead(seeded.branch.id, { revisionId: seeded.revisionId, experimentId: experiment.id, score: 1.5, values: [1.5] });
        assert.equal(other?.headScore, 1.5);
      });

      it('starts every branch from the baseline, and keeps its spread, in the decision\'s own transaction', async () => {
        const seeded = await seedStudy(store);
        const second = await store.createBranch({ id: randomUUID(), studyId: seeded.study.id, index: 1, headRevisionId: seeded.revisionId });
        const baseline = await addExperiment(store, seeded, 1);
        const head = { branchId: seeded.branch.id, revisionId: seeded.revisionId, experimentId: baseline.id, score: 2, values: [1.9, 2.1] };
        const decided = await store.decideExperiment({
          experimentId: baseline.id, outcome: 'baseline', reason: 'baseline', score: 2, peakMemoryMb: null, stats: null,
          newHead: head, baseline: { noiseSigma: 0.14 },
        });
        assert.equal(decided, true);
        for (const branch of await store.listBranches(seeded.study.id)) {
          assert.equal(branch.headExperimentId, baseline.id, `branch ${branch.index}`);
          assert.deepEqual(branch.headValues, [1.9, 2.1], `branch ${branch.index}`);
        }
        assert.equal((await store.getBranch(second.id))?.headScore, 2);
        assert.equal((await store.getStudy(seeded.study.id))?.noiseSigma, 0.14);
      });
    });

    describe('logs, metrics and events', () => {
      it('appends logs in batches and reads them back in order, by page', async () => {
        const seeded = await seedStudy(store);
        const experiment = await addExperiment(store, seeded, 1);
        const [run] = await store.listRuns(experiment.id);
        const t0 = Date.parse('2026-03-01T10:00:00.000Z');
        await store.appendLogs(run!.id, 1, [
          { ts: t0, stream: 'stdout', line: 'step 1' },
          { ts: t0 + 1, stream: 'stderr', line: 'warning: ünïcode ✓' },
        ]);
        await store.appendLogs(run!.id, 1, [{ ts: t0 + 2, stream: 'agent', line: 'budget reached' }]);
        await store.appendLogs(run!.id, 1, []);
        const all = await store.getLogs(run!.id, { limit: 10 });
        assert.deepEqual(all.map((l) => [l.stream, l.line]), [
          ['stdout', 'step 1'],
          ['stderr', 'warning: ünïcode ✓'],
          ['agent', 'budget reached'],
        ]);
        assert.deepEqual(all[1]!.ts, new Date(t0 + 1));
        assert.deepEqual(Object.keys(all[0]!).sort(), ['attempt', 'id', 'line', 'stream', 'ts']);
        const next = await store.getLogs(run!.id, { afterId: all[0]!.id, limit: 1 });
        assert.deepEqual(next.map((l) => l.line), ['warning: ünïcode ✓']);

        const many = Array.from({ length: 2500 }, (_, i) => ({ ts: t0 + 10 + i, stream: 'stdout' as const, line: `line ${i}` }));
        await store.appendLogs(run!.id, 2, many);
        const tail = await store.getLogs(run!.id, { afterId: all[2]!.id, limit: 5000 });
        assert.equal(tail.length, 2500);
        assert.deepEqual(tail.map((l) => l.line), many.map((l) => l.line));
        assert.ok(tail.every((l) => l.attempt === 2));
      });

      it('appends metric points and reads them back by kind', async () => {
        const seeded = await seedStudy(store);
        const experiment = await addExperiment(store, seeded, 1);
        const [run] = await store.listRuns(experiment.id);
        const ts = Date.parse('2026-03-01T10:00:00.000Z');
        await store.appendMetricPoints(run!.id, 1, [
          { name: 'loss', value: 2.5, step: 10, ts },
          { name: 'loss', value: 2.1, step: 20, ts: ts + 1000 },
          { name: 'lr', value: 0.01, ts: ts + 1000 },
        ], 'intermediate');
        await store.appendMetricPoints(run!.id, 1, [{ name: 'val_bpb', value: 0.99, ts: ts + 2000 }], 'final');
        const intermediate = await store.getMetrics(run!.id, { kind: 'intermediate' });
        assert.deepEqual(intermediate.map((m) => [m.name, m.value, m.step]), [
          ['loss', 2.5, 10],
          ['loss', 2.1, 20],
          ['lr', 0.01, null],
        ]);
        assert.deepEqual(intermediate[1]!.ts, new Date(ts + 1000));
        assert.deepEqual((await store.getMetrics(run!.id)).map((m) => m.kind), ['intermediate', 'intermediate', 'intermediate', 'final']);
        // Pages along the id cursor, as the API serves them.
        const first = await store.getMetrics(run!.id, { kind: 'intermediate', limit: 2 });
        assert.deepEqual(first.map((m) => m.value), [2.5, 2.1]);
        const rest = await store.getMetrics(run!.id, { kind: 'intermediate', afterId: first[1]!.id, limit: 2 });
        assert.deepEqual(rest.map((m) => m.value), [0.01]);
      });

      it('appends events, also concurrently, and lists them in id order', async () => {
        const { study } = await seedStudy(store);
        const first = await store.appendEvent(study.id, 'study.created', { name: 'tiny' });
        assert.deepEqual(first.payload, { name: 'tiny' });
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendEvent(study.id, 'run.log', { i })));
        const noStudy = await store.appendEvent(null, 'controller.started');
        assert.deepEqual(noStudy.payload, {});

        const events = await store.listEvents(study.id, { limit: 100 });
        assert.equal(events.length, 21);
        assert.deepEqual(events.map((e) => e.id), [...events.map((e) => e.id)].sort((a, b) => a - b));
        const later = await store.listEvents(study.id, { afterId: events[9]!.id, limit: 5 });
        assert.deepEqual(later.map((e) => e.id), events.slice(10, 15).map((e) => e.id));
        const everywhere = await store.listAllEvents({ afterId: first.id - 1, limit: 1000 });
        assert.ok(everywhere.some((e) => e.id === noStudy.id && e.studyId === null));
      });
    });
  });
}

describe('openStore', () => {
  it('finds the migrations from the source tree and from the compiled dist/ tree', () => {
    const source = findMigrationsFolder();
    assert.match(source, /services\/controller\/src\/store\/migrations$/);
    const root = source.slice(0, -'services/controller/src/store/migrations'.length);
    const compiled = pathToFileURL(join(root, 'dist/services/controller/src/store/migrations-folder.js')).href;
    assert.equal(findMigrationsFolder(compiled), source);
    assert.throws(() => findMigrationsFolder(pathToFileURL('/nowhere/at/all.js').href), { code: 'MIGRATIONS_NOT_FOUND' });
  });


  it('moves the studies of a database made before teams existed into the local team', async () => {
    const database = await createTestDatabase('store_upgrade');
    const onlyFirst = await mkdtemp(join(tmpdir(), 'autoresearch-migrations-'));
    try {
      const folder = findMigrationsFolder();
      const journal = JSON.parse(await readFile(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
      const first = journal.entries[0]!;
      await mkdir(join(onlyFirst, 'meta'));
      await writeFile(join(onlyFirst, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: [first] }));
      await copyFile(join(folder, `${first.tag}.sql`), join(onlyFirst, `${first.tag}.sql`));
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await migrate(drizzle({ client }), { migrationsFolder: onlyFirst });
        await client.query(
          `INSERT INTO studies (id, name, flavor, spec, spec_hash) VALUES ('old-study', 'old', 'training', $1, 'h')`,
          [JSON.stringify(spec)],
        );
      } finally {
        await client.end();
      }
      const upgraded = await openStore({ databaseUrl: database.url });
      try {
        const study = await upgraded.getStudy('old-study');
        assert.equal(study?.teamId, (await upgraded.getTeamByName('local'))?.id);
        assert.equal(study?.priority, 1);
      } finally {
        await upgraded.close();
      }
    } finally {
      await rm(onlyFirst, { recursive: true, force: true });
      await database.drop();
    }
  });

  it('gives up on an unreachable database with a named error that hides the password', async () => {
    const url = 'postgres://postgres:hunter2@127.0.0.1:1/nothing';
    const started = Date.now();
    await assert.rejects(openStore({ databaseUrl: url, retry: { attempts: 3, initialDelayMs: 20 } }), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.code, 'STORE_UNAVAILABLE');
      assert.match(error.message, /127\.0\.0\.1:1/);
      assert.match(error.message, /after 3 attempts/);
      assert.doesNotMatch(error.message, /hunter2/);
      assert.ok(error.cause);
      return true;
    });
    assert.ok(Date.now() - started >= 60, 'it waited between attempts');
  });

  it('does not retry what no retry can fix: a database that does not exist', async () => {
    const url = `postgres://postgres@127.0.0.1:5432/missing_${randomUUID().slice(0, 8)}`;
    const started = Date.now();
    await assert.rejects(openStore({ databaseUrl: url, retry: { attempts: 5, initialDelayMs: 2000 } }), {
      code: 'STORE_UNAVAILABLE',
    });
    assert.ok(Date.now() - started < 2000);
  });

  it('needs a database URL or a data folder', async () => {
    await assert.rejects(openStore({}), { code: 'STORE_NOT_CONFIGURED' });
  });
});
