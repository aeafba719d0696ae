// How fast one controller ingests what agents send over NATS: signed progress messages (core NATS) and
// signed results (JetStream), end to end: published → MAC checked → committed to Postgres → acked.
//
//   npx tsx bench/ingest.ts [--agents 20] [--progress 40000] [--points 5] [--results 4000]
//
// The controller side (NatsControllerTransport + the real Store on a fresh Postgres database) runs in
// this process, so its CPU time and RSS are what is reported; the agents run in a child process, each
// with its own NATS connection, and publish as fast as they can. A private nats-server (JetStream, temp
// store) is started on a spare port, and the database bench_ingest_<pid> is created and dropped.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { sha256Hex, signAgentMessage } from '../schemas/src/message-mac.js';
import type { AgentMessage, ProgressMessage, ResultMessage } from '../schemas/src/messages.js';
import { natsSubjects, resultMessageId } from '../schemas/src/subjects.js';
import { openStore } from '../services/controller/src/store/open-store.js';
import { NatsControllerTransport } from '../services/controller/src/transport/nats/nats-transport.js';
import { createRunTokenAuthenticator } from '../services/controller/src/transport/nats/run-token-authenticator.js';
import { addExperiment, seedStudy } from '../test/store/fixtures.js';
import { startNatsServer } from '../test/support/nats-server.js';

interface BenchRun {
  runId: string;
  attempt: number;
  token: string;
}
type Phase = { phase: 'progress'; perAgent: number; points: number } | { phase: 'results'; concurrency: number };
type ToAgents = { url: string; runs: BenchRun[]; agents: number } & Phase;
type FromAgents = { type: 'started'; at: number } | { type: 'published'; at: number; count: number } | { type: 'error'; message: string };

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'controller' },
    agents: { type: 'string', default: '20' },
    progress: { type: 'string', default: '40000' },
    points: { type: 'string', default: '5' },
    results: { type: 'string', default: '4000' },
    // Writes progress with one INSERT … SELECT FROM unnest(arrays) instead of the store's drizzle insert,
    // to show what the query builder costs (see bench/README.md).
    'unnest-insert': { type: 'boolean', default: false },
  },
});

if (args.role === 'agents') process.on('message', (message: ToAgents) => void runAgents(message));
else await runController();

async function runController(): Promise<void> {
  const agents = Number(args.agents);
  const progressTotal = Number(args.progress);
  const points = Number(args.points);
  const resultsTotal = Number(args.results);
  const perAgent = Math.ceil(progressTotal / agents);

  const nats = await startNatsServer();
  const database = `bench_ingest_${process.pid}`;
  await admin(`CREATE DATABASE ${database}`);
  const store = await openStore({ databaseUrl: `postgres://postgres@127.0.0.1:5432/${database}`, poolSize: 10 });
  try {
    // Real rows: one running study, and one claimed (running) run per result, each with its own token.
    const seeded = await seedStudy(store, { status: 'running' });
    const runs: BenchRun[] = [];
    for (let made = 0; made < resultsTotal; made += 100) await addExperiment(store, seeded, Math.min(100, resultsTotal - made));
    for (let i = 0; i < resultsTotal; i++) {
      const token = `bench-${randomUUID()}`;
      const run = await store.claimQueuedRun({ studyIds: [seeded.study.id], slot: `slot${i}`, tokenHash: sha256Hex(token), host: 'bench' });
      if (!run) throw new Error(`could only claim ${i} runs`);
      runs.push({ runId: run.id, attempt: run.attempt, token });
    }

    const rawPool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:5432/${database}`, max: 10 });
    const appendPoints = args['unnest-insert']
      ? async (message: ProgressMessage) => {
          const p = message.points;
          await rawPool.query(
            `INSERT INTO metrics (run_id, attempt, name, value, step, kind, ts)
             SELECT $1, $2, name, value, step, 'intermediate', to_timestamp(ts / 1000.0)
             FROM unnest($3::text[], $4::float8[], $5::float8[], $6::float8[]) AS u(name, value, step, ts)`,
            [message.runId, message.attempt, p.map((x) => x.name), p.map((x) => x.value), p.map((x) => x.step ?? null), p.map((x) => x.ts)],
          );
        }
      : (message: ProgressMessage) => store.appendMetricPoints(message.runId, message.attempt, message.points, 'intermediate');
    let progressPoints = 0;
    let progressCalls = 0;
    let results = 0;
    const authenticate = createRunTokenAuthenticator(async (runId) => {
      const run = await store.getRun(runId);
      return run ? { attempt: run.attempt, tokenHash: run.tokenHash } : null;
    });
    // As the controller does when it claims a run: its token hash is known, so no lookup per result.
    for (const run of runs) authenticate.remember(run.runId, run.attempt, sha256Hex(run.token));
    const transport = new NatsControllerTransport({
      servers: nats.url,
      authenticate,
      log: { info() {}, warn: (details, message) => console.error(message, JSON.stringify(details)), error: (d, m) => console.error(m, d) },
    });
    transport.onMessage(async (message: AgentMessage) => {
      if (message.type === 'progress') {
        await appendPoints(message);
        progressPoints += message.points.length;
        progressCalls++;
      } else if (message.type === 'result') {
        await store.ingestResult(message);
        results++;
      }
    });
    await transport.ready();

    const child = fork(fileURLToPath(import.meta.url), ['--role', 'agents'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    const events: FromAgents[] = [];
    child.on('message', (event: FromAgents) => {
      if (event.type === 'error') console.error(`agents: ${event.message}`);
      events.push(event);
    });
    let rssPeak = 0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);

    const measure = async (phase: Phase, target: () => number, expected: number) => {
      events.length = 0;
      rssPeak = 0;
      const cpu0 = process.cpuUsage();
      child.send({ url: nats.url, runs, agents, ...phase } satisfies ToAgents);
      await until(() => events.some((e) => e.type === 'published'), 600_000);
      const started = events.find((e) => e.type === 'started')!.at;
      const published = events.find((e) => e.type === 'published')!.at;
      // Done when everything arrived, or when nothing more arrived for 5 s (the rest is lost).
      let last = target();
      let lastChange = Date.now();
      while (target() < expected && Date.now() - lastChange < 5_000) {
        await sleep(5);
        if (target() !== last) [last, lastChange] = [target(), Date.now()];
      }
      const done = target() >= expected ? Date.now() : lastChange;
      const cpu = process.cpuUsage(cpu0);
      return { seconds: (done - started) / 1000, publishSeconds: (published - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssMb: rssPeak / 2 ** 20 };
    };

    const progress = await measure({ phase: 'progress', perAgent, points }, () => progressPoints, perAgent * agents * points);
    const progressMessages = progressPoints / points;
    const stored = await countRows(database, `SELECT count(*) FROM metrics WHERE kind = 'intermediate'`);
    report('progress', {
      messages: `${progressMessages} of ${perAgent * agents} (${points} points each)`,
      lost: perAgent * agents - progressMessages,
      'rows in metrics': stored,
      'store calls (after coalescing)': progressCalls,
      publish: `${progress.publishSeconds.toFixed(2)} s`,
      'end to end': `${progress.seconds.toFixed(2)} s`,
      'messages/s': Math.round(progressMessages / progress.seconds),
      'controller CPU': `${progress.cpuSeconds.toFixed(2)} s (${Math.round((100 * progress.cpuSeconds) / progress.seconds)}% of one core)`,
      'controller RSS peak': `${progress.rssMb.toFixed(0)} MB`,
      rejected: transport.rejectedCount(),
    });

    const result = await measure({ phase: 'results', concurrency: 32 }, () => results, runs.length);
    await sleep(500);
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const left = (await jsm.streams.info(transport.subjects.resultsStream)).state.messages;
    const pendingAcks = (await jsm.consumers.info(transport.subjects.resultsStream, 'controller')).num_ack_pending;
    await nc.close();
    const ingested = await countRows(database, `SELECT count(*) FROM runs WHERE status <> 'running'`);
    report('results', {
      results: `${results} of ${runs.length}`,
      lost: runs.length - ingested,
      'left in the stream / awaiting ack': `${left} / ${pendingAcks}`,
      publish: `${result.publishSeconds.toFixed(2)} s`,
      'end to end': `${result.seconds.toFixed(2)} s`,
      'results/s': Math.round(results / result.seconds),
      'controller CPU': `${result.cpuSeconds.toFixed(2)} s (${Math.round((100 * result.cpuSeconds) / result.seconds)}% of one core)`,
      'controller RSS peak': `${result.rssMb.toFixed(0)} MB`,
      rejected: transport.rejectedCount(),
    });

    clearInterval(sampler);
    child.kill();
    await transport.close();
    await rawPool.end();
  } finally {
    await store.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await nats.dispose();
  }
}

async function runAgents(task: ToAgents): Promise<void> {
  const send = (event: FromAgents) => process.send?.(event);
  try {
    const subjects = natsSubjects();
    const connections = await Promise.all(Array.from({ length: task.agents }, (_, i) => connect({ servers: task.url, name: `bench-agent-${i}` })));
    send({ type: 'started', at: Date.now() });
    let count = 0;
    if (task.phase === 'progress') {
      const { perAgent, points } = task;
      await Promise.all(
        connections.map(async (nc, i) => {
          const run = task.runs[i % task.runs.length]!;
          for (let n = 0; n < perAgent; n++) {
            const message: ProgressMessage = {
              type: 'progress',
              runId: run.runId,
              attempt: run.attempt,
              points: Array.from({ length: points }, (_, p) => ({ name: `m${p}`, value: Math.random(), step: n, ts: Date.now() })),
            };
            nc.publish(subjects.run(run.runId, 'progress'), JSON.stringify(signAgentMessage(message, run.token)));
            count++;
            if (n % 200 === 199) await yieldToLoop();
          }
          await nc.flush();
        }),
      );
    } else {
      const { concurrency } = task;
      await Promise.all(
        connections.map(async (nc, i) => {
          const js = jetstream(nc);
          const mine = task.runs.filter((_, r) => r % task.agents === i);
          let next = 0;
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (next < mine.length) {
                const run = mine[next++]!;
                const message: ResultMessage = {
                  type: 'result',
                  runId: run.runId,
                  attempt: run.attempt,
                  status: 'succeeded',
                  exitCode: 0,
                  signal: null,
                  startedAt: Date.now() - 300_000,
                  finishedAt: Date.now(),
                  peakMemoryMb: 512,
                  metrics: { val_bpb: Math.random(), training_seconds: 300 },
                  logTail: ['step 100', 'val_bpb: 0.99'],
                };
                await js.publish(subjects.result(run.runId), JSON.stringify(signAgentMessage(message, run.token)), {
                  msgID: resultMessageId(run.runId, run.attempt),
                });
                count++;
              }
            }),
          );
        }),
      );
    }
    send({ type: 'published', at: Date.now(), count });
    await Promise.all(connections.map((nc) => nc.drain()));
  } catch (error) {
    send({ type: 'error', message: (error as Error).stack ?? String(error) });
  }
}

function report(title: string, figures: Record<string, string | number>): void {
  console.log(`\n${title}`);
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(36)} ${value}`);
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client(ADMIN);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function countRows(database: string, query: string): Promise<number> {
  const client = new pg.Client({ ...ADMIN, database });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>(query);
    return Number(rows[0]?.count ?? 0);
  } finally {
    await client.end();
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}
