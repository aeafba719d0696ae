// The dashboard in a real browser on an embedded `autoresearch run`: open the running study, see a new
// experiment appear without a reload, open its diff, and stop the study from the page. Screenshots go to
// test-artifacts/.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchBrowser, saveScreenshot } from '../support/browser.js';
import { startCli } from '../support/cli.js';
import { makeStudyFolder, SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

// Runs of about a second and a half, so that experiments keep arriving while the page is open.
const SLOW_SCRIPT = SURROGATE_SCRIPT.replace('const SLEEP_MS = 0;', 'const SLEEP_MS = 1500;');
const SPEC = SURROGATE_SPEC.replace('baselineRepeats: 3', 'baselineRepeats: 2');

describe('dashboard in a browser (embedded run)', () => {
  let dir: string;
  let browser: Browser;

  before(async () => {
    dir = await makeStudyFolder({ 'train.js': SLOW_SCRIPT, 'study.yaml': SPEC });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows a running study live, opens a diff, and stops the study', { timeout: 90_000 }, async () => {
    const cli = startCli(['run', dir, '--slots', '2', '--port', '0', '--max-experiments', '60']);
    let output = '';
    cli.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const url = await waitFor(() => /API (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], 60_000, () => `no API address in:\n${output}`);
      const studies = (await (await fetch(`${url}/v1/studies`)).json()) as { items: { id: string }[] };
      const studyId = studies.items[0]!.id;

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = collectPageErrors(page);
      await page.goto(`${url}/#/studies/${studyId}`);
      await page.waitForSelector('tr[data-number]');
      // Predicates are functions, never strings: the page's CSP forbids eval, and Playwright evals strings.
      await page.waitForFunction(() => performance.getEntriesByName('chart-drawn').length > 0);
      await page.waitForSelector('.live-badge.live');
      // Anything kept on the page's global object survives only if the page is never reloaded.
      await page.evaluate('globalThis.dashboardTestMarker = true');
      const newest = Math.max(...(await experimentNumbers(page)));

      await page.locator(`tr[data-number="${newest + 1}"]`).waitFor({ timeout: 30_000 });
      assert.ok(Number(await page.getAttribute('.score-chart', 'data-points')) >= newest + 2, 'the chart holds the new experiment');
      assert.equal(await page.evaluate('globalThis.dashboardTestMarker'), true, 'no reload');
      await saveScreenshot(page, 'dashboard-study-live');

      const appeared = Math.max(...(await experimentNumbers(page)));
      assert.ok(appeared > newest, `experiment #${appeared} appeared after #${newest}`);
      await page.click(`tr[data-number="${appeared}"] td a`);
      await page.waitForSelector('.diff tr.diff-add');
      assert.equal(await page.textContent('.diff .diff-path'), 'train.js');
      assert.match((await page.textContent('.diff tr.diff-add .code')) ?? '', /^const (LEARNING_RATE|WIDTH) = /);
      assert.ok(await page.locator('.diff tr.diff-add .code span[class^="hljs-"]').count() > 0, 'the changed line is highlighted as JavaScript');
      // The run's log arrives live: the script prints 60 lines before it sleeps.
      await page.locator('.log-tail pre.log', { hasText: 'log line 60' }).waitFor();
      await saveScreenshot(page, 'dashboard-experiment-diff');

      await page.click('.crumbs a');
      await page.waitForSelector('button[data-action="stop"]:not([disabled])');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.click('button[data-action="stop"]');
      await page.waitForSelector('.study-header [data-status="stopping"], .study-header [data-status="stopped"]');
      await saveScreenshot(page, 'dashboard-study-stopped');
      assert.equal(await page.evaluate('globalThis.dashboardTestMarker'), true, 'still no reload');
      assert.deepEqual(errors.filter((e) => !/Failed to fetch|network|ERR_CONNECTION/i.test(e)), []);
      const ended = await cli.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.match(ended.stdout, /stopped: stopped by user/);
      const tsv = await readFile(join(dir, '.autoresearch', 'results.tsv'), 'utf8');
      assert.ok(tsv.trim().split('\n').length >= 2);
    } finally {
      cli.child.kill('SIGKILL');
      await cli.done;
    }
  });
});

async function experimentNumbers(page: Page): Promise<number[]> {
  return page.locator('tr[data-number]').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-number'))));
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
