// Early stopping through the real CLI, controller and agents: a candidate whose curve runs clearly above
// its head's is stopped once it passes a quarter of the head's steps, recorded as early-stopped with the
// evidence, not retried, and its slot goes on to the next experiment.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli } from '../support/cli.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { resultsRows, studyRunFixture } from '../support/study-run.js';

/** 20 steps of 100 ms; val_bpb falls as 1/step towards 1 + BAD. */
const SCRIPT = `const BAD = 0;
let step = 0;
const timer = setInterval(() => {
  step += 1;
  console.log('step=' + step + ' val_bpb=' + (1 + BAD + 1 / step).toFixed(4));
  if (step === 20) {
    clearInterval(timer);
    console.log('---');
    console.log('val_bpb: ' + (1 + BAD).toFixed(6));
  }
}, 100);
`;

const SPEC = `name: early
flavor: training
workspace:
  mutable: [train.js]
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 20, graceSeconds: 2 }
repeats: 1
baselineRepeats: 2
earlyStopping: { rule: median }
mutator:
  kind: params
  params:
    - { name: BAD, file: train.js, choices: [0, 1] }
stop: { maxExperiments: 2 }
`;

describe('early stopping', () => {
  const fixture = studyRunFixture('early_stopping');

  it('stops a run whose curve is worse than the median of its head\'s, records why, and does not retry it', { timeout: 120_000 }, async () => {
    const dir = await makeStudyFolder({ 'train.js': SCRIPT, 'study.yaml': SPEC });
    try {
      const result = await runCli(['run', dir, '--slots', '1', '--port', '0', '--out', fixture.scratch], { DATABASE_URL: fixture.database.url });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const rows = await resultsRows(fixture.scratch);
      assert.equal(rows.length, 2);
      assert.equal(rows[1]![3], 'discard');
      assert.match(rows[1]![4]!, /^BAD 0 -> 1 \(early-stopped: run 1 early-stopped: val_bpb at step \d+ its running mean [\d.]+ is worse than [\d.]+, the median of the head's 2 runs at that step\)$/);

      const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
      try {
        const [study] = (await store.listStudies({ limit: 10 })).items;
        const candidate = await store.getExperimentByNumber(study!.id, 1);
        assert.equal(candidate?.outcome, 'early-stopped');
        const [run] = await store.listRuns(candidate!.id);
        assert.equal(run!.status, 'stopped');
        assert.equal(run!.attempt, 1, 'an early-stopped run is not retried');
        const steps = (await store.getMetrics(run!.id, { kind: 'intermediate' })).filter((p) => p.name === 'val_bpb').length;
        assert.ok(steps >= 5 && steps < 20, `stopped after a quarter of the head's 20 steps and before its end: ${steps}`);
        const events = await store.listEvents(study!.id, { limit: 100 });
        assert.ok(events.some((e) => e.type === 'run.early-stopped' && e.payload.references === 2), 'the event carries the evidence');
      } finally {
        await store.close();
      }
      const changelog = await readFile(join(fixture.scratch, 'changelog.md'), 'utf8');
      assert.match(changelog, /^## Experiment 1 — early-stopped$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
