// `autoresearch serve`: a study submitted through the REST API runs to the end, and its exports are
// served to the team's token.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder } from '../support/study-folder.js';
import { parse } from 'yaml';

describe('autoresearch serve', () => {
  let database: TestDatabase;
  let dir: string;

  before(async () => {
    database = await createTestDatabase('cli_serve');
    dir = await makeStudyFolder();
  });

  after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a study submitted through the API and serves its exports', async () => {
    const tokenResult = await runCli(['token', 'create', '--team', 'alpha', '--name', 'ci'], { DATABASE_URL: database.url });
    assert.equal(tokenResult.code, 0, tokenResult.stderr);
    const token = tokenResult.stdout.trim();
    const auth = { authorization: `Bearer ${token}` };
    const server = startCli(['serve', '--port', '0', '--slots', '2'], { DATABASE_URL: database.url });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the server did not start')), 60_000);
        let buffered = '';
        server.child.stdout!.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const match = /"url":"(http:\/\/[^"]+)"/.exec(buffered);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      const spec = parse(await readFile(join(dir, 'study.yaml'), 'utf8'));
      spec.stop = { maxExperiments: 5 };
      const created = await fetch(`${url}/v1/studies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ spec, files: [{ path: 'train.js', contentBase64: (await readFile(join(dir, 'train.js'))).toString('base64') }] }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };

      let status = '';
      for (let i = 0; i < 120 && status !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        status = ((await (await fetch(`${url}/v1/studies/${id}`, { headers: auth })).json()) as { status: string }).status;
      }
      assert.equal(status, 'completed');
      const tsv = await (await fetch(`${url}/v1/studies/${id}/exports/results.tsv`, { headers: auth })).text();
      assert.equal(tsv.trim().split('\n').length, 1 + 5);
      const events = (await (await fetch(`${url}/v1/studies/${id}/events?limit=1000`, { headers: auth })).json()) as { items: { type: string }[] };
      assert.equal((await fetch(`${url}/v1/studies/${id}`)).status, 401, 'serve needs a token on every /v1 route');
      assert.ok(events.items.some((e) => e.type === 'study.stopped'));
    } finally {
      server.child.kill('SIGTERM');
      const ended = await server.done;
      assert.equal(ended.code, 0, ended.stderr);
    }
  });

});
