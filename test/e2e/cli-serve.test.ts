// `autoresearch serve`: a study submitted through the REST API runs to the end, and its exports are
// served; off loopback the server refuses to start without API tokens.
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
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ spec, files: [{ path: 'train.js', contentBase64: (await readFile(join(dir, 'train.js'))).toString('base64') }] }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };

      let status = '';
      for (let i = 0; i < 120 && status !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        status = ((await (await fetch(`${url}/v1/studies/${id}`)).json()) as { status: string }).status;
      }
      assert.equal(status, 'completed');
      const tsv = await (await fetch(`${url}/v1/studies/${id}/exports/results.tsv`)).text();
      assert.equal(tsv.trim().split('\n').length, 1 + 5);
      const events = (await (await fetch(`${url}/v1/studies/${id}/events?limit=1000`)).json()) as { items: { type: string }[] };
      assert.ok(events.items.some((e) => e.type === 'study.stopped'));
    } finally {
      server.child.kill('SIGTERM');
      const ended = await server.done;
      assert.equal(ended.code, 0, ended.stderr);
    }
  });

  it('refuses to listen off loopback without API tokens', async () => {
    const result = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], { DATABASE_URL: database.url, AUTORESEARCH_API_TOKENS: '' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /AUTORESEARCH_API_TOKENS/);
  });
});
