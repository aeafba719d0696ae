// How much time the loop itself costs per run: a study whose runs do almost nothing, driven through the
// real CLI, controller and agents. Overhead per run = (wall time × slots − time spent in the scripts) / runs.
//
//   npm run build && npx tsx bench/loop-overhead.ts [--experiments 60] [--slots 2] [--database pglite|postgres] [--cold-agents]
//   --cold-agents: AUTORESEARCH_WARM_AGENTS=0, every agent forked when its run starts (to compare)
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore } from '../services/controller/src/store/open-store.js';

const { values } = parseArgs({
  options: {
    experiments: { type: 'string', default: '60' },
    slots: { type: 'string', default: '2' },
    database: { type: 'string', default: 'pglite' },
    'cold-agents': { type: 'boolean', default: false },
  },
});
const experiments = Number(values.experiments);
const slots = Number(values.slots);

// The script does nothing but print its metric, so what is measured is the loop.
const SCRIPT = `const X = 1;
const started = Date.now();
console.log('---');
console.log('val_bpb: ' + (1 + (Math.log2(X) - 5) ** 2 + Math.random() * 1e-3).toFixed(6));
console.log('script_ms: ' + (Date.now() - started));
`;
const SPEC = `name: overhead
flavor: training
workspace: { mutable: [train.js] }
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 30, graceSeconds: 1 }
repeats: 1
baselineRepeats: 2
mutator:
  kind: params
  params: [{ name: X, file: train.js, min: 0.0000001, max: 10000000, scale: log, step: 1.05 }]
decision: { rule: strict }
`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'autoresearch-bench-'));
  await writeFile(join(dir, 'train.js'), SCRIPT);
  await writeFile(join(dir, 'study.yaml'), SPEC);
  let databaseUrl: string | undefined;
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
  const dbName = `bench_overhead_${process.pid}`;
  if (values.database === 'postgres') {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  }
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    // The compiled CLI, as users run it (`npm run build` first): agents start without a TypeScript loader.
    const child = spawn(process.execPath, ['bin/autoresearch.js', 'run', dir, '--slots', String(slots),
      '--max-experiments', String(experiments), '--port', '0'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), AUTORESEARCH_WARM_AGENTS: values['cold-agents'] ? '0' : '1' },
    });
    child.on('close', resolve);
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`autoresearch run exited with ${code}`);

  const store = await openStore(databaseUrl ? { databaseUrl } : { pgliteDir: join(dir, '.autoresearch', 'db') });
  const study = await store.findStudyBySourceDir(dir);
  const rows = await store.listExperiments(study!.id, { limit: 100000 });
  const runDurations: number[] = [];
  let firstStart = Infinity;
  let lastFinish = 0;
  for (const experiment of rows) {
    for (const run of await store.listRuns(experiment.id)) {
      if (!run.startedAt || !run.finishedAt) continue;
      runDurations.push(run.finishedAt.getTime() - run.startedAt.getTime());
      firstStart = Math.min(firstStart, run.startedAt.getTime());
      lastFinish = Math.max(lastFinish, run.finishedAt.getTime());
    }
  }
  await store.close();
  if (databaseUrl) {
    await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
    await admin.end();
  }
  await rm(dir, { recursive: true, force: true });

  const runs = runDurations.length;
  const loopSeconds = (lastFinish - firstStart) / 1000;
  const meanRunMs = runDurations.reduce((a, b) => a + b, 0) / runs;
  const slotSecondsIdle = loopSeconds * slots - runDurations.reduce((a, b) => a + b, 0) / 1000;
  console.log(`database            ${values.database}`);
  console.log(`slots               ${slots}`);
  console.log(`experiments         ${rows.length} (${runs} runs)`);
  console.log(`wall time           ${wallSeconds.toFixed(1)} s (CLI start to exit, including database start)`);
  console.log(`loop time           ${loopSeconds.toFixed(1)} s (first run start to last run end)`);
  console.log(`throughput          ${(runs / loopSeconds).toFixed(2)} runs/s`);
  console.log(`run, agent-measured ${meanRunMs.toFixed(0)} ms mean (the experiment process: node start and script)`);
  console.log(`overhead per run    ${((slotSecondsIdle / runs) * 1000).toFixed(0)} ms of slot time (decide, propose, claim, agent start, fetch, report)`);
}

await main();
