// `autoresearch status --watch`: follows a study live until it stops, against a `run` in another terminal
// (found through the folder, as a user would) and against a `serve` controller that needs a token.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stripAnsi } from '../../services/cli/src/view/ansi.js';
import { runCli, startCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { api, startServe, studyUpload } from '../support/serve.js';
import { makeStudyFolder, SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

/**
 * A study whose runs wait until the test opens a gate (a file), so the watchers see it running however
 * slowly they start; then it runs to the end at full speed.
 */
async function gatedStudyFolder(): Promise<{ dir: string; openGate: () => Promise<void> }> {
  const gateDir = await mkdtemp(join(tmpdir(), 'autoresearch-gate-'));
  const gate = join(gateDir, 'open');
  const wait = `while (!require('node:fs').existsSync(${JSON.stringify(gate)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);`;
  const dir = await makeStudyFolder({
    'train.js': SURROGATE_SCRIPT.replace('const SLEEP_MS = 0;', `const SLEEP_MS = 0;\n${wait}`),
    'study.yaml': SURROGATE_SPEC.replace('budgetSeconds: 20', 'budgetSeconds: 300'),
  });
  dirs.push(dir, gateDir);
  return { dir, openGate: () => writeFile(gate, '') };
}
const dirs: string[] = [];
const SPARKLINE = /[▁▂▃▄▅▆▇█]{2,}/;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('autoresearch status --watch', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('cli_status_watch');
  });

  after(async () => {
    await database.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('draws the panel of a `run` in another terminal until the study completes', { timeout: 240_000 }, async () => {
    const { dir, openGate } = await gatedStudyFolder();
    // The embedded database, as `run` uses it by default: the watcher reads the last state from it.
    const run = startCli(['run', dir, '--slots', '2', '--port', '0', '--max-experiments', '4'], { DATABASE_URL: undefined });
    let runOutput = '';
    run.child.stdout!.on('data', (chunk: Buffer) => (runOutput += chunk.toString()));
    await waitFor(() => existsSync(join(dir, '.autoresearch', 'server.json')), 'the run to start');

    const watcher = startCli(['status', dir, '--watch', '--panel', '--interval', '0.5'], { DATABASE_URL: undefined });
    const interrupted = startCli(['status', dir, '--watch', '--panel', '--interval', '0.5'], { DATABASE_URL: undefined });
    let interruptedOutput = '';
    interrupted.child.stdout!.on('data', (chunk: Buffer) => (interruptedOutput += chunk.toString()));
    let watcherOutput = '';
    watcher.child.stdout!.on('data', (chunk: Buffer) => (watcherOutput += chunk.toString()));
    await waitFor(() => stripAnsi(interruptedOutput).includes('last decisions') && stripAnsi(watcherOutput).includes('last decisions'), 'the watchers to draw');
    interrupted.child.kill('SIGINT');
    await openGate();

    const [watched, ran, stopped] = await Promise.all([watcher.done, run.done, interrupted.done]);
    assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
    assert.match(runOutput, /#0 +baseline +val_bpb/, 'the run itself, on a pipe, still prints a line per decision');
    assert.doesNotMatch(runOutput, /\u001b\[/, 'and no escape codes');

    assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
    assert.match(watched.stdout, /\u001b\[\d+A/, 'the panel was redrawn in place');
    assert.match(watched.stdout, /\u001b\[\?25h$|\u001b\[\?25h[^\u001b]*$/, 'the cursor is given back');
    const text = stripAnsi(watched.stdout);
    assert.match(text, /^surrogate · running · \d+s · \d+ experiments decided, \d+ pending · \d+ runs? in flight/m);
    assert.match(text, /in flight +run +slot +elapsed\n {2}#\d+ +\d\/\d +cpu:\d/);
    assert.match(text, /^best val_bpb \d\.\d{6} \(#\d\)/m);
    assert.ok(SPARKLINE.test(text), 'the best score has its sparkline');
    assert.match(text, /last decisions\n {2}#\d +(baseline|keep|discard|crash)/);
    assert.match(text, /^ {2}#0 baseline \d\.\d{6} {2}/m);
    assert.match(text, /completed: .*max-experiments 4.*\n4 experiments decided; best val_bpb \d\.\d{6} \(experiment #\d\)\n$/);

    assert.equal(stopped.code, 130, `${stopped.stdout}\n${stopped.stderr}`);
    assert.match(stripAnsi(stopped.stdout), /stopped watching; surrogate is (running|stopping)/);
  });

  it('prints a line per decision from a `serve` controller, with its token, when stdout is not a terminal', { timeout: 240_000 }, async () => {
    const { dir, openGate } = await gatedStudyFolder();
    const env = { DATABASE_URL: database.url };
    const token = (await runCli(['token', 'create', '--team', 'alpha'], env)).stdout.trim();
    const server = await startServe(['--slots', '2'], env);
    try {
      const created = await api<{ id: string }>(server.url, token, 'POST', '/v1/studies', await studyUpload(dir, { maxExperiments: 4 }));
      assert.equal(created.status, 201);
      const remote = ['status', '--server', server.url, '--study', created.body.id];

      const refused = await runCli([...remote, '--watch'], env);
      assert.equal(refused.code, 2, 'no token, no watch');
      assert.match(refused.stderr, /401/);

      const watcher = startCli([...remote, '--token', token, '--watch', '--interval', '0.5'], env);
      let watcherOutput = '';
      watcher.child.stdout!.on('data', (chunk: Buffer) => (watcherOutput += chunk.toString()));
      await waitFor(() => watcherOutput.includes('watching "surrogate"'), 'the watcher to start');
      await openGate();
      const watched = await watcher.done;
      assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
      assert.doesNotMatch(watched.stdout, /\u001b/, 'no panel and no colour on a pipe');
      assert.match(watched.stdout, /^watching "surrogate" \(running\): val_bpb \(minimize\)\n/);
      const decisions = watched.stdout.match(/^#\d+ +(baseline|keep|discard|crash) +val_bpb /gm) ?? [];
      assert.equal(decisions.length, 4, watched.stdout);
      assert.match(watched.stdout, /completed: .*max-experiments 4.*\n4 experiments decided; best val_bpb \d\.\d{6} \(experiment #\d\)\n$/);
    } finally {
      server.child.kill('SIGTERM');
      await server.done;
    }
  });
});
