// How fast the dashboard opens a study of 20,000 experiments, and whether its chart stays smooth.
//
//   npm run bench:dashboard -- [--experiments 20000] [--branches 4] [--loads 5]
//
// Seeds a fresh Postgres database (bench_dashboard_<pid> on 127.0.0.1:5432, dropped afterwards) through
// the store: one study, its branches, 20,000 decided experiments with a diff each and one finished run
// each. Serves it with the controller's app (open mode, as `autoresearch run` does) on a spare port, then:
// - API: times the first page of each list the study page reads (points: every experiment's chart
//   columns in one page; experiments: the first page of 100; the study; its cost), median of 10;
// - page: opens #/studies/<id> in a fresh Chromium context each time and times navigation start →
//   the chart's first draw (performance mark `chart-drawn`), median of --loads, the first one cold;
// - smoothness: moves the cursor across the drawn chart for 120 frames and reports the frame intervals,
//   then appends one experiment and times the live update (event → tail refetch → redraw of every point).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { buildApp } from '../services/controller/src/app.js';
import { ControllerMetrics } from '../services/controller/src/metrics/controller-metrics.js';
import { openStore } from '../services/controller/src/store/open-store.js';
import { experiments, runs, type ExperimentOutcome } from '../services/controller/src/store/schema.js';
import type { Store } from '../services/controller/src/store/store.js';
import type { StudySpec } from '../schemas/src/study-spec.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const CHROMIUM_PATH = '/usr/bin/chromium';

const { values: args } = parseArgs({
  options: {
    experiments: { type: 'string', default: '20000' },
    branches: { type: 'string', default: '4' },
    loads: { type: 'string', default: '5' },
  },
});
const EXPERIMENTS = Number(args.experiments);
const BRANCHES = Number(args.branches);
const LOADS = Number(args.loads);

const SPEC: StudySpec = {
  name: 'bench-20k',
  flavor: 'training',
  workspace: { mutable: ['train.py'], exclude: [] },
  objective: { metric: 'val_bpb', direction: 'minimize' },
  run: { command: 'python train.py', budgetSeconds: 300, graceSeconds: 5, env: {}, metrics: { source: 'summary' } },
  repeats: 1,
  mutator: { kind: 'params', seed: 0, params: [{ name: 'LR', file: 'train.py', integer: false, scale: 'log' }] },
  search: { branches: BRANCHES },
  decision: { rule: 'noise-aware', confidence: 0.95, minEffect: 0 },
  stop: { maxExperiments: EXPERIMENTS + 1000, plateau: 500 },
} as StudySpec;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;
const ms = (value: number) => `${value.toFixed(0)} ms`;

const dbName = `bench_dashboard_${process.pid}`;
await admin(`CREATE DATABASE "${dbName}"`);
let store: Store | undefined;
try {
  store = await openStore({ databaseUrl: `postgres://${ADMIN.user}@${ADMIN.host}:${ADMIN.port}/${dbName}` });
  const seeded = Date.now();
  const studyId = await seed(store);
  process.stdout.write(`seeded ${EXPERIMENTS} experiments (${BRANCHES} branches) in ${((Date.now() - seeded) / 1000).toFixed(1)} s\n`);

  const app = await buildApp({ store, scheduler: null, auth: { mode: 'open' }, metrics: new ControllerMetrics() });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await measureApi(url, studyId);
    await measurePage(url, studyId, store);
  } finally {
    await app.close();
  }
} finally {
  await store?.close();
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
}

async function seed(store: Store): Promise<string> {
  const revisionId = await store.putRevision([{ path: 'train.py', content: Buffer.from('LR = 0.01\n'), mode: 0o644 }]);
  const study = await store.createStudy({ id: randomUUID(), name: SPEC.name, flavor: 'training', spec: SPEC, specHash: 'bench', sourceDir: null });
  const branchIds: string[] = [];
  for (let index = 0; index < BRANCHES; index++) {
    branchIds.push((await store.createBranch({ id: randomUUID(), studyId: study.id, index, headRevisionId: revisionId })).id);
  }
  // A search that improves slowly, with noise: mostly discards, a keep now and then, a few failures.
  const start = Date.now() - EXPERIMENTS * 60_000;
  let best = 1.2;
  const CHUNK = 1000;
  for (let from = 0; from < EXPERIMENTS; from += CHUNK) {
    const experimentRows: (typeof experiments.$inferInsert)[] = [];
    const runRows: (typeof runs.$inferInsert)[] = [];
    for (let number = from; number < Math.min(EXPERIMENTS, from + CHUNK); number++) {
      const roll = Math.random();
      const outcome: ExperimentOutcome = number === 0 ? 'baseline' : roll < 0.04 ? 'crash' : roll < 0.05 ? 'timeout' : roll < 0.07 ? 'early-stopped' : roll < 0.12 ? 'keep' : 'discard';
      const candidate = best + (outcome === 'keep' ? -Math.random() * 0.002 : Math.random() * 0.05);
      if (outcome === 'keep' || outcome === 'baseline') best = candidate;
      const score = outcome === 'crash' || outcome === 'timeout' ? null : candidate;
      const id = randomUUID();
      const lr = (0.01 * (1 + (number % 17) / 10)).toFixed(4);
      experimentRows.push({
        id, studyId: study.id, branchId: branchIds[number % BRANCHES]!, number, kind: number === 0 ? 'baseline' : 'candidate',
        parentRevisionId: revisionId, candidateRevisionId: revisionId, status: 'decided', outcome, reason: `${outcome} (seeded)`,
        hypothesis: `Changing LR to ${lr} may lower val_bpb`, variable: 'LR', description: `LR 0.01 -> ${lr}`, changeKey: `LR=${lr}#${number}`,
        diff: `diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1,1 +1,1 @@\n-LR = 0.01\n+LR = ${lr}\n`,
        repeats: 1, score,
        stats: { rule: 'noise-aware', delta: 0.001, sigma: 0.002, threshold: 0.004, nCandidate: 1, nHead: 3, candidateMean: score, headMean: best, pValue: 0.3, summary: 'seeded' },
        createdAt: new Date(start + number * 60_000), decidedAt: new Date(start + number * 60_000 + 55_000),
      });
      runRows.push({
        id: randomUUID(), studyId: study.id, experimentId: id, revisionId, repeatIndex: 0, attempt: 1,
        status: outcome === 'crash' ? 'crashed' : outcome === 'timeout' ? 'timeout' : 'succeeded', slot: `gpu:${number % 8}`, host: 'bench',
        metrics: score === null ? null : { val_bpb: score }, startedAt: new Date(start + number * 60_000), finishedAt: new Date(start + number * 60_000 + 50_000),
      });
    }
    await store.db.insert(experiments).values(experimentRows);
    await store.db.insert(runs).values(runRows);
  }
  await store.appendEvent(study.id, 'study.created', { name: SPEC.name });
  return study.id;
}

async function measureApi(url: string, studyId: string): Promise<void> {
  const routes = [
    ['points (all experiments, one page)', `/v1/studies/${studyId}/points`],
    ['experiments (first page of 100)', `/v1/studies/${studyId}/experiments?limit=100`],
    ['study (with progress)', `/v1/studies/${studyId}`],
    ['cost', `/v1/studies/${studyId}/cost`],
  ] as const;
  process.stdout.write('\nAPI, first page (median of 10 after one warm-up):\n');
  for (const [label, path] of routes) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 11; i++) {
      const started = performance.now();
      const response = await fetch(`${url}${path}`);
      const body = await response.arrayBuffer();
      if (!response.ok) throw new Error(`${path} answered ${response.status}`);
      if (i > 0) times.push(performance.now() - started);
      bytes = body.byteLength;
    }
    process.stdout.write(`  ${label.padEnd(40)} ${ms(median(times)).padStart(8)} median, ${ms(Math.max(...times)).padStart(8)} max, ${(bytes / 1024).toFixed(0)} KiB\n`);
  }
}

async function measurePage(url: string, studyId: string, store: Store): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    const loads: number[] = [];
    const breakdowns: Record<string, number>[] = [];
    for (let i = 0; i < LOADS; i++) {
      // A fresh context each time: nothing cached, as on a first visit.
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${url}/#/studies/${studyId}`);
      await page.waitForFunction(() => performance.getEntriesByName('chart-drawn').length > 0, undefined, { timeout: 30_000 });
      const drawnAt = await page.evaluate(() => performance.getEntriesByName('chart-drawn')[0]!.startTime);
      const points = Number(await page.getAttribute('.score-chart', 'data-points'));
      if (points !== EXPERIMENTS) throw new Error(`the chart drew ${points} points, not ${EXPERIMENTS}`);
      loads.push(drawnAt);
      breakdowns.push((await page.evaluate(`(() => {
        const end = (part) => performance.getEntriesByType('resource').find((r) => r.name.includes(part))?.responseEnd ?? NaN;
        const nav = performance.getEntriesByType('navigation')[0];
        return { html: nav.responseEnd, script: end('/app.js'), domReady: nav.domContentLoadedEventEnd, study: end('/v1/studies/${studyId}?') || end('/v1/studies/${studyId}'),
          points: end('/points'), update: performance.getEntriesByName('chart-update')[0].startTime, drawn: performance.getEntriesByName('chart-drawn')[0].startTime };
      })()`)) as Record<string, number>);
      if (i < LOADS - 1) await context.close();
      else await measureSmoothness(page, studyId, store);
    }
    process.stdout.write(`\npage load, navigation start → chart drawn with ${EXPERIMENTS} points (${LOADS} loads, fresh context each):\n`);
    process.stdout.write(`  first ${ms(loads[0]!)}, median ${ms(median(loads))}, max ${ms(Math.max(...loads))}\n`);
    process.stdout.write('  where the time goes (median ms after navigation start):\n');
    for (const key of Object.keys(breakdowns[0]!)) process.stdout.write(`    ${key.padEnd(9)} ${median(breakdowns.map((b) => b[key]!)).toFixed(0)}\n`);
  } finally {
    await browser.close();
  }
}

async function measureSmoothness(page: import('playwright-core').Page, studyId: string, store: Store): Promise<void> {
  await page.waitForSelector('.live-badge.live');
  // Page-side code as a string: this file is compiled for node, without the DOM's types.
  const frames = (await page.evaluate(`(async () => {
    const over = document.querySelector('.score-chart .u-over');
    const rect = over.getBoundingClientRect();
    const stamps = [];
    for (let i = 0; i <= 120; i++) {
      stamps.push(await new Promise((resolve) => requestAnimationFrame(resolve)));
      over.dispatchEvent(new MouseEvent('mousemove', { clientX: rect.left + (i / 120) * rect.width, clientY: rect.top + rect.height / 2, bubbles: true }));
    }
    return stamps.slice(1).map((t, i) => t - stamps[i]);
  })()`)) as number[];
  process.stdout.write(`\nhover across the chart, 120 frames: median ${ms(median(frames))}, p95 ${ms(percentile(frames, 0.95))}, max ${ms(Math.max(...frames))} per frame\n`);

  // A live update: one more experiment, announced in the event log as the scheduler would.
  const before = await page.evaluate(() => performance.getEntriesByName('chart-drawn').length);
  const [branch] = await store.listBranches(studyId);
  const created = await store.createExperiment({
    id: randomUUID(), studyId, branchId: branch!.id, parentRevisionId: branch!.headRevisionId, candidateRevisionId: branch!.headRevisionId,
    hypothesis: 'live', variable: 'LR', description: 'LR live', changeKey: `live-${randomUUID()}`, diff: '', repeats: 1, runIds: [randomUUID()],
  });
  const appended = Date.now();
  await store.appendEvent(studyId, 'experiment.created', { experimentId: created.id, number: created.number });
  await page.waitForFunction((n) => performance.getEntriesByName('chart-drawn').length > n, before, { timeout: 10_000 });
  const seen = Date.now() - appended;
  const update = await page.evaluate(() => {
    const start = performance.getEntriesByName('chart-update').at(-1)!.startTime;
    return performance.getEntriesByName('chart-drawn').at(-1)!.startTime - start;
  });
  await page.waitForSelector(`tr[data-number="${created.number}"]`);
  process.stdout.write(`live update: event appended → chart redrawn in ${ms(seen)} (poll interval 500 ms); recomputing and redrawing ${EXPERIMENTS + 1} points took ${ms(update)}\n`);
  await sleep(100);
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
