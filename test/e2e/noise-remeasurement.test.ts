// Re-measuring the noise floor through the real CLI, controller and agents. The scripted machine drifts
// after the baseline (every run scores 0.05 higher and three times noisier), so the baseline's values and
// spread go stale; every 2 experiments the best head runs again unchanged, and its fresh values become the
// head's and their spread the study's noise. And one can be asked for at any time through the API.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { runCli, startCli } from '../support/cli.js';
import { api } from '../support/serve.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { resultsRows, studyRunFixture } from '../support/study-run.js';

/** The constants change nothing; the k-th run of the study scores 1 (± 0.001), or 1.05 (± 0.003) from the 4th. */
const script = (counterFile: string) => `const A = 0;
const B = 0;
const C = 0;
const D = 0;
const fs = require('node:fs');
const counter = ${JSON.stringify(counterFile)};
const k = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(k + 1));
const drifted = k >= 3;
const noise = (k % 2 === 0 ? 1 : -1) * (drifted ? 0.003 : 0.001);
console.log('---');
console.log('val_bpb: ' + (1 + (drifted ? 0.05 : 0) + noise).toFixed(6));
`;

const spec = (extra: string) => `name: drift
flavor: training
workspace:
  mutable: [train.js]
objective: { metric: val_bpb, direction: minimize }
run: { command: node train.js, budgetSeconds: 20, graceSeconds: 2 }
repeats: 1
baselineRepeats: 3
mutator:
  kind: params
  params:
    - { name: A, file: train.js, choices: [0, 1] }
    - { name: B, file: train.js, choices: [0, 1] }
    - { name: C, file: train.js, choices: [0, 1] }
    - { name: D, file: train.js, choices: [0, 1] }
${extra}`;

describe('noise re-measurement', () => {
  const fixture = studyRunFixture('noise_remeasure');

  it('runs the best head again every 2 experiments, and its fresh values replace the stale ones', { timeout: 120_000 }, async () => {
    const counter = join(fixture.scratch, 'counter');
    const dir = await makeStudyFolder({ 'train.js': script(counter), 'study.yaml': spec('decision: { remeasureEvery: 2 }\nstop: { maxExperiments: 5 }\n') });
    try {
      const result = await runCli(['run', dir, '--slots', '1', '--port', '0', '--out', join(fixture.scratch, 'out')], { DATABASE_URL: fixture.database.url });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const rows = await resultsRows(join(fixture.scratch, 'out'));
      assert.deepEqual(rows.map((row) => row[3]), ['keep', 'discard', 'discard', 'keep', 'discard']);
      assert.match(rows[3]![4]!, /^noise re-measurement \(remeasure: noise re-measured on the head: val_bpb=1\.049000 over 3 runs; run-to-run σ=0\.00346 \(its runs so far averaged 1\.000333\)\)$/);

      const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
      try {
        const [study] = (await store.listStudies({ limit: 10 })).items;
        assert.ok(Math.abs(study!.noiseSigma! - 0.003464) < 1e-6, `the study's noise is the fresh spread: ${study!.noiseSigma}`);
        const [branch] = await store.listBranches(study!.id);
        const remeasure = await store.getExperimentByNumber(study!.id, 3);
        assert.equal(remeasure?.kind, 'remeasure');
        assert.equal(branch!.headExperimentId, remeasure!.id, 'the head is the same revision with fresh values');
        assert.deepEqual(branch!.headValues, [1.047, 1.053, 1.047]);
        // #4 is compared with the fresh head: 1.053 against 1.049, with the fresh noise, not the stale 1.0003.
        const fourth = await store.getExperimentByNumber(study!.id, 4);
        assert.match(fourth!.reason!, /^Δ=\+0\.004\d* \(worse\), σ=0\.00\d+, n=1\/3/);
      } finally {
        await store.close();
      }
      const changelog = await readFile(join(fixture.scratch, 'out', 'changelog.md'), 'utf8');
      assert.match(changelog, /^## Experiment 3 — remeasure\n\n[^\n]*\n\*\*Change:\*\* none: the best head, run again unchanged$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('measures again on demand through the API, and refuses before the baseline or twice at once', { timeout: 120_000 }, async () => {
    const dir = await makeStudyFolder({ 'train.js': script(join(fixture.scratch, 'counter-2')), 'study.yaml': spec('stop: { maxExperiments: 4 }\n') });
    const { child, done } = startCli(['run', dir, '--slots', '1', '--port', '0', '--out', join(fixture.scratch, 'out-2')], { DATABASE_URL: fixture.database.url });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      while (!/API (http:\/\/\S+)/.test(stdout)) await sleep(50);
      const url = /API (http:\/\/\S+)/.exec(stdout)![1]!;
      const studies = await api<{ items: { id: string }[] }>(url, undefined, 'GET', '/v1/studies');
      const id = studies.body.items.find((s) => s)!.id;
      const early = await api<{ error: { message: string } }>(url, undefined, 'POST', `/v1/studies/${id}/remeasure`);
      if (early.status === 409) assert.match(JSON.stringify(early.body), /baseline is not measured yet/);
      // Once the baseline is decided, a re-measurement is queued as the next experiment.
      let ended = false;
      void done.then(() => (ended = true));
      let asked: { status: number; body: { number?: number } } = early as never;
      while (asked.status !== 202) {
        assert.equal(ended, false, `the study ended before a re-measurement could be asked for:\n${stdout}`);
        await sleep(100);
        asked = await api<{ number?: number }>(url, undefined, 'POST', `/v1/studies/${id}/remeasure`);
      }
      const twice = await api(url, undefined, 'POST', `/v1/studies/${id}/remeasure`);
      const result = await done;
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const store = await openStore({ databaseUrl: fixture.database.url, poolSize: 1 });
      try {
        const experiment = await store.getExperimentByNumber(id, asked.body.number!);
        assert.equal(experiment?.kind, 'remeasure');
        assert.equal(experiment?.outcome, 'remeasure');
        if (twice.status !== 202) assert.equal(twice.status, 409, 'a second one while the first runs is refused');
      } finally {
        await store.close();
      }
    } finally {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
