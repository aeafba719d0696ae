// Do the slots wait for the model? A study with the llm mutator against the test Messages API server
// answering after a fixed latency, runs that take a fixed time, and N slots, run three times: with
// proposals made ahead (the default, one per slot), the same with cold agents (AUTORESEARCH_WARM_AGENTS=0:
// each agent forked when its run starts), and with `ahead: 0` (ask only when a slot is free).
// Slot utilization = time the slots spent running experiments / (slots × loop time), where the loop time
// runs from the first run's start to the last run's end.
//
//   npm run bench:pipelining -- [--slots 4] [--latency-ms 2000] [--run-ms 3000] [--experiments 49] [--timeline]
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
    experiments: { type: 'string', default: '49' },
    timeline: { type: 'boolean', default: false },
  },
});
const slots = Number(values.slots);
const latencyMs = Number(values['latency-ms']);
const runMs = Number(values['run-ms']);
const experiments = Number(values.experiments);

// Sleeps for the run time, then prints a metric that depends on its constants, one per experiment (at
// least twelve), so that the model always has fresh changes to propose: the test policy doubles or halves
// one constant, and once those run out it proposes duplicates, whose re-asks would idle the slots.
const knobCount = Math.max(12, experiments);
const KNOBS = Array.from({ length: knobCount }, (_, i) => `const K${i} = ${i + 1.5};`).join('\n');
const SCRIPT = `${KNOBS}
setTimeout(() => {
  const loss = [${Array.from({ length: knobCount }, (_, i) => `(K${i} - ${i + 1}) ** 2`).join(', ')}].reduce((a, b) => a + b, 0);
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

interface Measurement {
  utilization: number;
  loopSeconds: number;
  runs: number;
  meanRunMs: number;
  idle: { between: number; gaps: number; rampUp: number; drain: number };
}

async function measure(ahead: number, warmAgents: boolean, baseUrl: string, apiKey: string): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'autoresearch-bench-pipelining-'));
  await writeFile(join(dir, 'train.js'), SCRIPT);
  await writeFile(join(dir, 'study.yaml'), spec(ahead));
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
  await admin.connect();
  const dbName = `bench_pipelining_${process.pid}_${ahead}_${warmAgents ? 'warm' : 'cold'}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  try {
    const code = await new Promise<number | null>((resolve) => {
      // The compiled CLI, as users run it (`npm run build` first): agents start without a TypeScript loader.
      const child = spawn(process.execPath, ['bin/autoresearch.js', 'run', dir, '--slots', String(slots),
        '--max-experiments', String(experiments), '--plateau', String(experiments), '--port', '0'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DATABASE_URL: databaseUrl, ANTHROPIC_API_KEY: apiKey, ANTHROPIC_BASE_URL: baseUrl, AUTORESEARCH_WARM_AGENTS: warmAgents ? '1' : '0' },
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
      const bySlot = new Map<string, Array<{ start: number; end: number }>>();
      for (const experiment of await store.listExperiments(study!.id, { limit: 100_000 })) {
        for (const run of await store.listRuns(experiment.id)) {
          if (!run.startedAt || !run.finishedAt) continue;
          runs += 1;
          if (values.timeline) timeline.push(`#${experiment.number} ${run.slot} ${run.startedAt.toISOString().slice(14, 23)} → ${run.finishedAt.toISOString().slice(14, 23)} created ${experiment.createdAt.toISOString().slice(14, 23)} ${experiment.outcome}`);
          busyMs += run.finishedAt.getTime() - run.startedAt.getTime();
          firstStart = Math.min(firstStart, run.startedAt.getTime());
          lastFinish = Math.max(lastFinish, run.finishedAt.getTime());
          const spans = bySlot.get(run.slot ?? '?') ?? [];
          spans.push({ start: run.startedAt.getTime(), end: run.finishedAt.getTime() });
          bySlot.set(run.slot ?? '?', spans);
        }
      }
      const loopMs = lastFinish - firstStart;
      if (values.timeline) console.log(timeline.sort((a, b) => a.split(' ')[2]!.localeCompare(b.split(' ')[2]!)).join('\n'));
      // Where the idle slot time goes: between two runs of a slot, before a slot's first run, after its last.
      const idle = { between: 0, gaps: 0, rampUp: 0, drain: 0 };
      for (const spans of bySlot.values()) {
        spans.sort((a, b) => a.start - b.start);
        idle.rampUp += spans[0]!.start - firstStart;
        idle.drain += lastFinish - spans.at(-1)!.end;
        for (let i = 1; i < spans.length; i += 1) {
          idle.between += spans[i]!.start - spans[i - 1]!.end;
          idle.gaps += 1;
        }
      }
      return { utilization: busyMs / (slots * loopMs), loopSeconds: loopMs / 1000, runs, idle, meanRunMs: busyMs / runs };
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
    const variants = [
      { ahead: slots, warm: true, label: `made ahead (ahead: ${slots})` },
      { ahead: slots, warm: false, label: 'made ahead, cold agents' },
      { ahead: 0, warm: true, label: 'asked when a slot is free (ahead: 0)' },
    ];
    for (const { ahead, warm, label } of variants) {
      const { utilization, loopSeconds, runs, idle, meanRunMs } = await measure(ahead, warm, api.url, api.apiKey);
      console.log(`${label.padEnd(40)} slot utilization ${(utilization * 100).toFixed(1)}%  loop ${loopSeconds.toFixed(1)} s  ${runs} runs of ${(meanRunMs / 1000).toFixed(2)} s`);
      const share = (ms: number) => `${((ms / (slots * loopSeconds * 1000)) * 100).toFixed(1)}%`;
      console.log(`${''.padEnd(40)} idle: between runs ${share(idle.between)} (mean gap ${Math.round(idle.between / Math.max(1, idle.gaps))} ms), before a slot's first run ${share(idle.rampUp)}, after its last ${share(idle.drain)}`);
    }
  } finally {
    await api.close();
  }
}

await main();
