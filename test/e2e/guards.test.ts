// Guards through the real CLI, controller and agents: a candidate with a large metric gain that breaks a
// command guard (the "model no longer loads") is recorded guard-failed with the guard's output, in
// results.tsv, changelog.md and the experiment API, and never becomes the head; a candidate that passes
// every guard is kept. A bad guard is refused before anything is created.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildApp } from '../../services/controller/src/app.js';
import { ControllerMetrics } from '../../services/controller/src/metrics/controller-metrics.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli } from '../support/cli.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { resultsRows, studyRunFixture } from '../support/study-run.js';

// BIG is a large gain that breaks the model's format; SMALL is a small gain that breaks nothing.
const TRAIN = `const BIG = 0;
const SMALL = 0;
console.log('---');
console.log('val_bpb: ' + (1 - 0.3 * BIG - 0.01 * SMALL).toFixed(6));
console.log('peak_vram_mb: 2048.0');
`;

const CHECK = `const fs = require('node:fs');
console.log('loading the model saved by train.js');
if (/const BIG = 1;/.test(fs.readFileSync('train.js', 'utf8'))) {
  console.error('AssertionError: the checkpoint format changed: the model no longer loads');
  process.exit(1);
}
console.log('model loads');
`;

const SPEC = `name: guarded
flavor: training
workspace:
  mutable: [train.js]
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 20, graceSeconds: 2 }
repeats: 1
baselineRepeats: 1
decision: { rule: strict }
guards:
  - { name: model-loads, command: node check.js, timeoutSeconds: 20 }
  - { name: memory, maxPeakMemoryMb: 4096 }
  - { name: speed, maxRunSeconds: 60 }
mutator:
  kind: params
  seed: 1
  params:
    - { name: BIG, file: train.js, choices: [0, 1] }
    - { name: SMALL, file: train.js, choices: [0, 1] }
stop: { maxExperiments: 4 }
`;

describe('guards', () => {
  const fixture = studyRunFixture('guards');

  it('records a large gain that fails a guard as guard-failed with its output, and keeps one that passes', { timeout: 120_000 }, async () => {
    const dir = await makeStudyFolder({ 'train.js': TRAIN, 'check.js': CHECK, 'study.yaml': SPEC });
    const out = join(fixture.scratch, 'out');
    try {
      const result = await runCli(['run', dir, '--slots', '1', '--port', '0', '--out', out], { DATABASE_URL: fixture.database.url });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /guard-failed/);

      // The params mutator's order depends on its seed: find each change by its description.
      const rows = await resultsRows(out);
      const big = rows.find((row) => /^BIG 0 -> 1/.test(row[4]!));
      const small = rows.find((row) => /^SMALL 0 -> 1/.test(row[4]!));
      assert.ok(big && small, `both changes were tried: ${JSON.stringify(rows)}`);
      // 0.70 from the baseline, 0.69 if SMALL was kept first: either way far better than the head.
      assert.match(big[1]!, /^0\.(700000|690000)$/);
      assert.deepEqual(big.slice(2, 4), ['2.0', 'discard'], 'a discard that keeps its score and memory');
      assert.match(big[4]!, /\(guard-failed: model-loads: exit code 1: AssertionError: the checkpoint format changed: the model no longer loads\)$/);
      assert.equal(small[3], 'keep');
      assert.equal(rows[0]![3], 'keep', 'the baseline passed its guards');

      const changelog = await readFile(join(out, 'changelog.md'), 'utf8');
      const section = changelog.split('## Experiment ').find((s) => /^\d+ — guard-failed/.test(s));
      assert.ok(section, changelog);
      assert.match(section, /\*\*Result:\*\* guard "model-loads" failed on run 1 \(exit code 1: AssertionError: the checkpoint format changed: the model no longer loads\); the metric alone would have kept it: Δ=-0\.3/);
      assert.match(section, /\*\*Guards:\*\* model-loads FAILED on run 1: exit code 1: .*; memory passed \(1 run\); speed passed \(1 run\)/);
      assert.match(section, /\*\*Guard "model-loads" output\*\* \(run 1, last lines\):\n\n```\nloading the model saved by train\.js\nAssertionError: the checkpoint format changed: the model no longer loads\n```/);
      assert.match(changelog, /## Experiment 0 — baseline\n[^#]*\*\*Guards:\*\* model-loads passed \(1 run\); memory passed \(1 run\); speed passed \(1 run\)/);

      const best = await readFile(join(out, 'best', 'train.js'), 'utf8');
      assert.match(best, /const BIG = 0;/, 'the guard-failed change never became the head');
      assert.match(best, /const SMALL = 1;/);

      // The experiment API carries the outcome, each guard's verdict, and each run's guard results.
      const store = await openStore({ databaseUrl: fixture.database.url });
      const app = await buildApp({ store, scheduler: null, auth: { mode: 'open' }, metrics: new ControllerMetrics() });
      try {
        const [study] = (await app.inject({ method: 'GET', url: '/v1/studies?limit=10' })).json().items;
        const number = changelog.match(/## Experiment (\d+) — guard-failed/)![1];
        const response = await app.inject({ method: 'GET', url: `/v1/studies/${study.id}/experiments/${number}` });
        assert.equal(response.statusCode, 200, response.body);
        const experiment = response.json();
        assert.equal(experiment.outcome, 'guard-failed');
        assert.deepEqual(experiment.stats.guards.map((g: { name: string; passed: boolean }) => [g.name, g.passed]), [['model-loads', false], ['memory', true], ['speed', true]]);
        const [guard] = experiment.runs[0].guards;
        assert.equal(guard.name, 'model-loads');
        assert.equal(guard.passed, false);
        assert.equal(guard.exitCode, 1);
        assert.deepEqual(guard.outputTail.slice(-1), ['AssertionError: the checkpoint format changed: the model no longer loads']);
      } finally {
        await app.close();
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad guard with exit code 2, naming the field, and creates nothing', async () => {
    const dir = await makeStudyFolder({ 'train.js': TRAIN, 'check.js': CHECK, 'study.yaml': SPEC.replace('{ name: speed, maxRunSeconds: 60 }', '{ name: model-loads, maxRunSeconds: 60 }') });
    try {
      const result = await runCli(['run', dir, '--max-experiments', '2']);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /guards\[2\]\.name: "model-loads" is also the name of guards\[0\]; guard names must be unique/);
      assert.equal(existsSync(join(dir, '.autoresearch')), false, 'nothing may be written next to the study');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
