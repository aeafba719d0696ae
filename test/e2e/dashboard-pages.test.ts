// Every dashboard page in a real browser, on studies recorded straight into Postgres: a skill study's pass
// rate per eval and its failing outputs with the judge's evidence, a training experiment's log and
// intermediate curves, and the queue's slots. The pages must render without a script error.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../services/controller/src/app.js';
import { discoverSlots } from '../../services/controller/src/executors/local/discover-slots.js';
import { LocalExecutor } from '../../services/controller/src/executors/local/local-executor.js';
import { ControllerMetrics } from '../../services/controller/src/metrics/controller-metrics.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { addExperiment, claimRequest, resultFor, seedStudy, spec } from '../store/fixtures.js';
import { collectPageErrors, launchBrowser, saveScreenshot } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const EVALS = ['concise', 'opens-with-summary'];

describe('dashboard pages in a browser', () => {
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let skillStudyId: string;
  let trainingStudyId: string;

  before(async () => {
    database = await createTestDatabase('dashboard_pages');
    store = await openStore({ databaseUrl: database.url });
    const executor = new LocalExecutor({
      slots: discoverSlots({ cudaVisibleDevices: undefined, cpuSlots: 2 }),
      channel: { kind: 'ipc', attach: () => {} },
      onAgentOutput: () => {},
      baseEnv: {},
      warmAgents: false,
    });
    app = await buildApp({ store, scheduler: null, auth: { mode: 'open' }, metrics: new ControllerMetrics(), executor, controllerId: 'test-host' });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    skillStudyId = await seedSkillStudy(store);
    trainingStudyId = await seedTrainingStudy(store);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectPageErrors(page);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    await database?.drop();
  });

  it("charts a skill study's pass rate per eval, and shows failing outputs with the judge's evidence", async () => {
    await page.goto(`${url}/#/studies/${skillStudyId}`);
    await page.waitForSelector('.eval-rates canvas');
    assert.match((await page.textContent('.eval-rates')) ?? '', /opens-with-summary/);
    await page.waitForSelector('tr[data-number="1"][data-outcome="keep"]');
    await saveScreenshot(page, 'dashboard-skill-study');

    await page.goto(`${url}/#/studies/${skillStudyId}/experiments/0`);
    await page.waitForSelector('details.failing-output');
    await page.click('details.failing-output summary');
    const failing = (await page.textContent('.skill-outputs')) ?? '';
    assert.match(failing, /Failing outputs \(1 of 2\)/);
    assert.match(failing, /opens-with-summary: the judge answered no/);
    assert.match(failing, /# Release 2\.4/, "the judge's evidence, quoted");
    assert.match(failing, /concise\s*2 of 2 outputs pass/);
    assert.match(failing, /opens-with-summary\s*1 of 2 outputs pass/);
    await saveScreenshot(page, 'dashboard-skill-outputs');
    assert.deepEqual(errors, []);
  });

  it("shows a training experiment's decision, its run's log and its intermediate curves", async () => {
    await page.goto(`${url}/#/studies/${trainingStudyId}/experiments/0`);
    await page.waitForSelector('.curves .curve canvas');
    await page.locator('.log-tail pre.log', { hasText: 'step 3 loss 1.70' }).waitFor();
    assert.match((await page.textContent('.decision')) ?? '', /n=2\/3|the candidate was kept/);
    assert.match((await page.textContent('.curves')) ?? '', /loss/);
    await saveScreenshot(page, 'dashboard-training-experiment');
    assert.deepEqual(errors, []);
  });

  it('shows the slots, which study holds each, and the fair shares', async () => {
    await page.goto(`${url}/#/queue`);
    await page.waitForSelector('.slot.busy');
    const slots = (await page.textContent('.slots')) ?? '';
    assert.match(slots, /Slots: 2, 1 free/);
    assert.match(slots, /tiny #1/);
    assert.match((await page.textContent('table.shares')) ?? '', /tiny/);
    await saveScreenshot(page, 'dashboard-queue');
    assert.deepEqual(errors, []);
  });
});

/** A skill study: the baseline with one output failing an eval, then a keep with both outputs passing. */
async function seedSkillStudy(store: Store): Promise<string> {
  const seeded = await seedStudy(store, { status: 'running' });
  const skillSpec = {
    ...spec,
    flavor: 'skill',
    objective: { metric: 'pass_rate', direction: 'maximize' },
    skill: { file: 'SKILL.md', evals: EVALS.map((name) => ({ name, kind: 'judge', question: '?', pass: 'y', fail: 'n' })), inputs: { working: [], holdout: [] } },
  };
  await store.db.execute(sql`UPDATE studies SET spec = ${JSON.stringify(skillSpec)}::jsonb, flavor = 'skill' WHERE id = ${seeded.study.id}`);
  const outputs = [
    { pass: [true, false], text: '# Release 2.4\n\nDark mode ships.' },
    { pass: [true, true], text: 'Release 2.4 brings dark mode.' },
    { pass: [true, true], text: 'Release 2.4 brings dark mode to everyone.' },
    { pass: [true, true], text: 'Queuebird 5.2 is faster.' },
  ];
  for (const [index, outcome] of (['baseline', 'keep'] as const).entries()) {
    const experiment = await addExperiment(store, seeded, 2);
    for (let run = 0; run < 2; run++) {
      const claimed = (await store.claimQueuedRun(claimRequest([seeded.study.id], `cpu:${run}`)))!;
      const output = outputs[index * 2 + run]!;
      const verdicts = EVALS.map((name, i) => ({
        eval: name,
        pass: output.pass[i]!,
        evidence: output.pass[i] ? output.text.split('\n')[0]! : '# Release 2.4',
        ...(output.pass[i] ? {} : { reason: 'the judge answered no' }),
      }));
      const skill = { input: `input-${run}`, holdout: false, output: output.text, modelCalls: 3, inputTokens: 500, outputTokens: 80, verdicts };
      assert.equal((await store.ingestResult({ ...resultFor(claimed.id, claimed.attempt), metrics: { pass_rate: 0.75 }, skill })).applied, true);
    }
    await store.decideExperiment({ experimentId: experiment.id, outcome, reason: `${outcome} (seeded)`, score: index === 0 ? 0.75 : 1, peakMemoryMb: null, stats: null });
  }
  return seeded.study.id;
}

/** A training study: a kept experiment whose two runs logged and reported a loss curve, then one running. */
async function seedTrainingStudy(store: Store): Promise<string> {
  const seeded = await seedStudy(store, { status: 'running' });
  const experiment = await addExperiment(store, seeded, 2);
  for (let run = 0; run < 2; run++) {
    const claimed = (await store.claimQueuedRun(claimRequest([seeded.study.id], `cpu:${run}`)))!;
    const ts = Date.now();
    await store.appendLogs(claimed.id, claimed.attempt, Array.from({ length: 4 }, (_, step) => ({ ts, stream: 'stdout' as const, line: `step ${step} loss ${(2 - step * 0.1 - run * 0.01).toFixed(2)}` })));
    await store.appendMetricPoints(claimed.id, claimed.attempt, Array.from({ length: 4 }, (_, step) => ({ name: 'loss', value: 2 - step * 0.1 - run * 0.01, step, ts })), 'intermediate');
    await store.ingestResult(resultFor(claimed.id, claimed.attempt));
  }
  await store.decideExperiment({
    experimentId: experiment.id, outcome: 'keep', reason: 'the candidate was kept', score: 0.9979, peakMemoryMb: 512,
    stats: { rule: 'noise-aware', delta: 0.004, sigma: 0.001, threshold: 0.002, nCandidate: 2, nHead: 3, candidateMean: 0.9979, headMean: 1.0019, pValue: 0.01, summary: 'Δ=-0.0040 (better), σ=0.0010, n=2/3' },
  });
  // The next experiment holds one of this controller's two slots.
  await addExperiment(store, seeded, 1);
  await store.claimQueuedRun({ ...claimRequest([seeded.study.id], 'cpu:0'), host: 'test-host', tokenHash: `hash-${randomUUID()}` });
  return seeded.study.id;
}
