// Do the slots wait for the model? A study with the llm mutator against the test Messages API server
// answering after a fixed latency, runs that take a fixed time, and N slots, run twice: with proposals
// made ahead (the default, one per slot) and with `ahead: 0` (ask only when a slot is free).
// Slot utilization = time the slots spent running experiments / (slots × loop time), where the loop time
// runs from the first run's start to the last run's end.
//
//   npm run bench:pipelining -- [--slots 4] [--latency-ms 2000] [--run-ms 3000] [--experiments 24] [--timeline]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore } from '../services/controller/src/store/open-store.js';
import { changeOneConstantPolicy, startAnthropicApiServer } from '../test/support/anthropic-api/index.js';

const { values } = parseArgs({
  options: {
    slots: { type: 'string', default: '4' },
    'latency-ms': { type: 'string', default: '2000' },
    'run-ms': { type: 'string', default: '3000' },
    experiments: { type: 'string', default: '24' },
    timeline: { type: 'boolean', default: false },
  },
});
const slots = Number(values.slots);
const latencyMs = Number(values['latency-ms']);
const runMs = Number(values['run-ms']);
const experiments = Number(values.experiments);

// Sleeps for the run time, then prints a metric that depends on its twelve constants, so that the model
// always has fresh changes to propose (a handful of constants runs out and leaves only duplicates).
const KNOBS = Array.from({ length: 12 }, (_, i) => `const K${i} = ${i + 1.5};`).join('\n');
const SCRIPT = `${KNOBS}
setTimeout(() => {
  const loss = [${Array.from({ length: 12 }, (_, i) => `(K${i} - ${i + 1}) ** 2`).join(', ')}].reduce((a, b) => a + b, 0);
  console.log('---');
  console.log('val_bpb: ' + (1 + loss + Math.random() * 1e-3).toFixed(6));
}, ${runMs});
`;

function spec(ahead: number): string {
  return `name: pipelining
flavor: training
workspace: { mutable: [train.js] }
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 60, graceSeconds: 1 }
repeats: 1
baselineRepeats: ${slots}
mutator: { kind: llm, model: claude-sonnet-4-6, maxTokens: 1000, ahead: ${ahead} }
decision: { rule: strict }
`;
}

async function measure(ahead: number, baseUrl: string, apiKey: string): Promise<{ utilization: number; loopSeconds: number; runs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'autoresearch-bench-pipelining-'));
  await writeFile(join(dir, 'train.js'), SCRIPT);
  await writeFile(join(dir, 'study.yaml'), spec(ahead));
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
  await admin.connect();
  const dbName = `bench_pipelining_${process.pid}_${ahead}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  try {
    const code = await new Promise<number | null>((resolve) => {
      // The compiled CLI, as users run it (`npm run build` first): agents start without a TypeScript loader.
      const child = spawn(process.execPath, ['bin/autoresearch.js', 'run', dir, '--slots', String(slots),
        '--max-experiments', String(experiments), '--plateau', String(experiments), '--port', '0'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DATABASE_URL: databaseUrl, ANTHROPIC_API_KEY: apiKey, ANTHROPIC_BASE_URL: baseUrl },
      });
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`autoresearch run exited with ${code}`);
    const store = await openStore({ databaseUrl });
    try {
      const study = await store.findStudyBySourceDir(dir);
      let busyMs = 0;
      let firstStart = Infinity;
      let lastFinish = 0;
      let runs = 0;
      const timeline: string[] = [];
      for (const experiment of await store.listExperiments(study!.id, { limit: 100_000 })) {
        for (const run of await store.listRuns(experiment.id)) {
          if (!run.startedAt || !run.finishedAt) continue;
          runs += 1;
          if (values.timeline) timeline.push(`#${experiment.number} ${run.startedAt.toISOString().slice(14, 23)} → ${run.finishedAt.toISOString().slice(14, 23)} created ${experiment.createdAt.toISOString().slice(14, 23)} ${experiment.outcome}`);
          busyMs += run.finishedAt.getTime() - run.startedAt.getTime();
          firstStart = Math.min(firstStart, run.startedAt.getTime());
          lastFinish = Math.max(lastFinish, run.finishedAt.getTime());
        }
      }
      const loopMs = lastFinish - firstStart;
      if (values.timeline) console.log(timeline.sort((a, b) => a.split(' ')[1]!.localeCompare(b.split(' ')[1]!)).join('\n'));
      return { utilization: busyMs / (slots * loopMs), loopSeconds: loopMs / 1000, runs };
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const api = await startAnthropicApiServer({ policy: changeOneConstantPolicy, latencyMs });
  try {
    console.log(`slots ${slots}, model latency ${latencyMs} ms, runs of ${runMs} ms, ${experiments} experiments (the baseline's ${slots} runs included)`);
    for (const ahead of [slots, 0]) {
      const { utilization, loopSeconds, runs } = await measure(ahead, api.url, api.apiKey);
      const label = ahead > 0 ? `made ahead (ahead: ${ahead})` : 'asked when a slot is free (ahead: 0)';
      console.log(`${label.padEnd(40)} slot utilization ${(utilization * 100).toFixed(1)}%  loop ${loopSeconds.toFixed(1)} s  ${runs} runs`);
    }
  } finally {
    await api.close();
  }
}

await main();
