// The dashboard of a distributed controller (`autoresearch serve`, tokens required) in a real browser:
// without a token it shows only a sign-in, a bad token is refused, and a team's token never shows another
// team's studies, not in the list, not by address, not in the queue. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { collectPageErrors, launchBrowser, saveScreenshot } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { api, startServe, studyUpload, type RunningServe } from '../support/serve.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { runCli } from '../support/cli.js';

describe('dashboard sign-in and team scoping (autoresearch serve)', () => {
  let database: TestDatabase;
  let dir: string;
  let browser: Browser;
  let serve: RunningServe;
  const tokens: Record<'alpha' | 'beta', string> = { alpha: '', beta: '' };
  const studyIds: Record<'alpha' | 'beta', string> = { alpha: '', beta: '' };

  before(async () => {
    database = await createTestDatabase('dashboard_auth');
    dir = await makeStudyFolder();
    for (const team of ['alpha', 'beta'] as const) {
      const created = await runCli(['token', 'create', '--team', team, '--name', `${team}-ci`], { DATABASE_URL: database.url });
      assert.equal(created.code, 0, created.stderr);
      tokens[team] = created.stdout.trim();
    }
    [serve, browser] = await Promise.all([startServe(['--slots', '1'], { DATABASE_URL: database.url }), launchBrowser()]);
    for (const team of ['alpha', 'beta'] as const) {
      const upload = await studyUpload(dir, { maxExperiments: 2 });
      upload.spec.name = `${team}-secret-study`;
      const created = await api<{ id: string }>(serve.url, tokens[team], 'POST', '/v1/studies', upload);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      studyIds[team] = created.body.id;
    }
  });

  after(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
    await serve?.done;
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("asks for a token, and shows a team only its own studies", { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${serve.url}/`);
    await page.waitForSelector('form.sign-in');
    assert.equal(await page.locator('table.studies').count(), 0, 'nothing but the sign-in without a token');
    await saveScreenshot(page, 'dashboard-sign-in');

    await page.fill('form.sign-in input[name="token"]', 'ar_not-a-real-token');
    await page.click('form.sign-in button[type="submit"]');
    await page.waitForSelector('form.sign-in .error:text("not accepted")');

    await page.fill('form.sign-in input[name="token"]', tokens.alpha);
    await page.click('form.sign-in button[type="submit"]');
    await page.waitForSelector(`tr[data-study="${studyIds.alpha}"]`);
    const listed = await page.textContent('table.studies');
    assert.match(listed ?? '', /alpha-secret-study/);
    assert.doesNotMatch(listed ?? '', /beta-secret-study/);
    assert.equal(await page.locator(`tr[data-study="${studyIds.beta}"]`).count(), 0);
    await saveScreenshot(page, 'dashboard-team-alpha-studies');

    // Another team's study by its address: not found, and nothing of it shown.
    await page.goto(`${serve.url}/#/studies/${studyIds.beta}`);
    await page.waitForSelector('.study-header .error');
    assert.match((await page.textContent('.study-header .error')) ?? '', /not found/);
    assert.doesNotMatch((await page.textContent('main')) ?? '', /beta-secret-study/);
    await page.goto(`${serve.url}/#/queue`);
    await page.waitForSelector('table.shares');
    assert.doesNotMatch((await page.textContent('main')) ?? '', /beta-secret-study/);
    await saveScreenshot(page, 'dashboard-queue-alpha');

    // The token was remembered: a reload stays signed in; signing out asks again.
    await page.goto(`${serve.url}/#/`);
    await page.reload();
    await page.waitForSelector(`tr[data-study="${studyIds.alpha}"]`);
    await page.click('#session a');
    await page.waitForSelector('form.sign-in');
    assert.equal(await page.evaluate('localStorage.length + sessionStorage.length'), 0, 'the token is gone');
    assert.deepEqual(errors.filter((e) => !/401|Unauthorized|404/.test(e)), []);

    // Beta's token sees beta's study, and not alpha's.
    await page.fill('form.sign-in input[name="token"]', tokens.beta);
    await page.click('form.sign-in button[type="submit"]');
    await page.waitForSelector(`tr[data-study="${studyIds.beta}"]`);
    assert.doesNotMatch((await page.textContent('table.studies')) ?? '', /alpha-secret-study/);
    await context.close();
  });
});
