// The llm mutator end to end: the real CLI and agents, the real @anthropic-ai/sdk talking to the test
// Messages API server through ANTHROPIC_BASE_URL. What the model was shown, how invalid proposals are
// re-asked and recorded, what a storm of 429s and 529s or an API that is down does to a study, and cost.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { Store } from '../../services/controller/src/store/store.js';
import {
  changeOneConstantPolicy, findNumericConstants, proposeEdit, requestText, scaledLiteral, shownFiles, startAnthropicApiServer,
  type AnthropicApiServer, type Policy,
} from '../support/anthropic-api/index.js';
import { REPO_ROOT, runCli, startCli } from '../support/cli.js';
import { api as callApi, startServe, waitForStatus } from '../support/serve.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder, SURROGATE_SPEC } from '../support/study-folder.js';

const LLM_MUTATOR = `mutator:
  kind: llm
  model: claude-sonnet-4-6
  maxTokens: 2000
  invalidRetries: 2
  maxDiffLines: 20
  ahead: 2
  pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75, cacheReadPerMTok: 0.3 }
`;

/** The surrogate study with the llm mutator instead of params, and a program.md. */
function llmSpec(stop = ''): string {
  const spec = SURROGATE_SPEC.slice(0, SURROGATE_SPEC.indexOf('mutator:'))
    .replace('  mutable: [train.js]', '  mutable: [train.js]\n  instructions: program.md');
  return `${spec}${LLM_MUTATOR}${stop ? `stop:\n${stop}` : ''}`;
}

const PROGRAM = '# Surrogate\nTune LEARNING_RATE and WIDTH. Keep the script simple.\n';

describe('the llm mutator', () => {
  let database: TestDatabase;
  let api: AnthropicApiServer;
  const dirs: string[] = [];

  const env = () => ({
    DATABASE_URL: database.url,
    ANTHROPIC_API_KEY: api.apiKey,
    ANTHROPIC_BASE_URL: api.url,
    AUTORESEARCH_MODEL_RETRY_SECONDS: '3',
    AUTORESEARCH_MODEL_PAUSE_SECONDS: '1',
  });

  async function folder(stop = ''): Promise<string> {
    const dir = await makeStudyFolder({ 'study.yaml': llmSpec(stop), 'program.md': PROGRAM });
    dirs.push(dir);
    return dir;
  }

  async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore({ databaseUrl: database.url, poolSize: 1 });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  before(async () => {
    database = await createTestDatabase('llm_mutator');
    api = await startAnthropicApiServer({ policy: changeOneConstantPolicy });
  });

  after(async () => {
    await api.close();
    await database.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('runs tiny-lm for 10 experiments, every change one edit to train.js, shown the history and the failure analysis', { timeout: 300_000 }, async () => {
    // A researcher who, as program.md asks, leaves the time budget and the seed alone and tries each
    // hyperparameter in turn, doubling then halving.
    let call = 0;
    const tuner: Policy = (request) => {
      const file = shownFiles(requestText(request)).find((f) => f.path === 'train.js')!;
      const knobs = findNumericConstants(file.content).filter((c) => c.name !== 'TIME_BUDGET' && c.name !== 'SEED');
      for (;;) {
        const n = call++;
        const knob = knobs[n % knobs.length]!;
        const factor = Math.floor(n / knobs.length) % 2 === 0 ? 2 : 0.5;
        const literal = scaledLiteral(knob.literal, factor);
        if (literal === undefined) continue;
        return proposeEdit('train.js', knob.line, knob.withLiteral(literal), {
          variable: knob.name, description: `${knob.name} ${knob.literal} -> ${literal}`, hypothesis: `${knob.name} is not at its best`,
        });
      }
    };
    api.setPolicy(tuner);
    const first = api.requests.length;
    // A copy of the example whose runs train for 3 s of CPU instead of 15: this test is about what the model
    // is shown and what it may change, not about how far 10 experiments get (examples/tiny-lm tests that).
    const dir = await mkdtemp(join(tmpdir(), 'llm-tiny-lm-'));
    dirs.push(dir);
    await cp(join(REPO_ROOT, 'examples', 'tiny-lm'), dir, { recursive: true, filter: (source) => !source.includes('.autoresearch') });
    const train = await readFile(join(dir, 'train.js'), 'utf8');
    assert.match(train, /^const TIME_BUDGET = 15;$/m);
    await writeFile(join(dir, 'train.js'), train.replace(/^const TIME_BUDGET = 15;$/m, 'const TIME_BUDGET = 3;'));
    const out = await mkdtemp(join(tmpdir(), 'llm-out-'));
    dirs.push(out);
    const result = await runCli(['run', dir, '--spec', 'study-llm.yaml', '--fresh', '--slots', '2', '--max-experiments', '10', '--plateau', '20', '--port', '0', '--out', out], env());
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const rows = (await readFile(join(out, 'results.tsv'), 'utf8')).trim().split('\n').slice(1);
    assert.equal(rows.length, 10);

    await withStore(async (store) => {
      const study = await store.findStudyBySourceDir(dir.replace(/\/$/, ''));
      const experiments = await store.listExperiments(study!.id, { limit: 100 });
      for (const e of experiments.filter((x) => x.number > 0 && x.outcome !== 'invalid')) {
        const files = [...e.diff.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1]);
        assert.deepEqual(files, ['train.js'], `experiment ${e.number} changes only train.js`);
        const removed = e.diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
        assert.equal(removed.length, 1, `experiment ${e.number} changes one line:\n${e.diff}`);
        assert.ok(e.hypothesis && e.variable, 'a hypothesis and the one variable are recorded');
        assert.ok(e.modelUsage && e.modelUsage.calls >= 1 && e.modelUsage.costUsd > 0, 'what it cost is recorded');
      }
    });

    const prompts = api.requests.slice(first).map((r) => JSON.stringify(r.body));
    assert.ok(prompts.every((p) => p.includes('tiny-lm: instructions for the research agent')), 'program.md is in every prompt');
    assert.ok(prompts.every((p) => p.includes('cache_control')), 'the stable prefix is marked for caching');
    const late = prompts.at(-1)!;
    assert.match(late, /## History of this branch/);
    assert.match(late, /\| 1 \| (keep|discard|crash|timeout|invalid) \|/, 'earlier experiments with their outcomes');
    assert.match(late, /## Failure analysis/);
    assert.match(late, /val_bpb trend/);
    assert.match(late, /## Changes already tried/);
  });

  it('re-asks an invalid proposal with its exact error, and records it as invalid after the last try', { timeout: 120_000 }, async () => {
    const bad = [
      proposeEdit('train.js', 'const NOT_IN_THE_FILE = 1;', 'const NOT_IN_THE_FILE = 2;'),
      proposeEdit('study.yaml', 'repeats: 1', 'repeats: 2'),
      proposeEdit('train.js', "const MODE = 'ok';", "const MODE = 'ok';"),
    ];
    let call = 0;
    api.setPolicy(() => bad[call++ % bad.length]!);
    const first = api.requests.length;
    const dir = await folder();
    const result = await runCli(['run', dir, '--slots', '1', '--max-experiments', '2', '--port', '0'], env());
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const bodies = api.requests.slice(first).map((r) => JSON.stringify(r.body));
    assert.ok(bodies.some((b) => /"is_error":true/.test(b) && /search text not found/.test(b)), 'the missing search text went back to the model');
    assert.ok(bodies.some((b) => /the file is read-only/.test(b)), 'the read-only file went back to the model');
    await withStore(async (store) => {
      const study = await store.findStudyBySourceDir(dir);
      const invalid = (await store.listExperiments(study!.id, { limit: 10 })).find((e) => e.number === 1)!;
      assert.equal(invalid.outcome, 'invalid');
      assert.match(invalid.reason ?? '', /^no valid proposal after 3 tries: /);
      assert.equal(invalid.modelUsage?.calls, 3);
    });
  });

  it('refuses a change already tried from the head, sending it back as a duplicate', { timeout: 120_000 }, async () => {
    const same = proposeEdit('train.js', 'const WIDTH = 16;', 'const WIDTH = 32;');
    api.setPolicy(() => same);
    const first = api.requests.length;
    const dir = await folder();
    const result = await runCli(['run', dir, '--slots', '1', '--max-experiments', '3', '--port', '0'], env());
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const bodies = api.requests.slice(first).map((r) => JSON.stringify(r.body));
    assert.ok(bodies.some((b) => /already tried from this head/.test(b)), 'the duplicate went back to the model');
  });

  it('rides out a storm of 429s and 529s, and pauses a study while the API is down, then resumes it', { timeout: 180_000 }, async () => {
    api.setPolicy(changeOneConstantPolicy);
    api.inject.next(4, { status: 429, retryAfterSeconds: 0.2 });
    api.inject.next(3, { status: 529 });
    const dir = await folder();
    const out = await mkdtemp(join(tmpdir(), 'llm-out-'));
    dirs.push(out);
    const child = startCli(['run', dir, '--slots', '1', '--max-experiments', '6', '--port', '0', '--out', out], env());
    let saw = '';
    child.child.stdout!.on('data', (chunk: Buffer) => (saw += chunk.toString()));
    // Once the storm has passed and the study runs, the API goes down for a while.
    const studyId = await waitFor(async () => withStore(async (store) => {
      const study = await store.findStudyBySourceDir(dir);
      return study && (await store.listExperiments(study.id, { limit: 10 })).length >= 3 ? study.id : undefined;
    }), 60_000);
    api.down();
    const paused = await waitFor(() => withStore(async (store) => {
      const study = await store.getStudy(studyId);
      return study?.status === 'paused' ? study : undefined;
    }), 60_000);
    assert.match(paused.pausedReason ?? '', /the model is unavailable: 529/);
    api.up();
    const result = await child.done;
    assert.equal(result.code, 0, saw);
    await withStore(async (store) => {
      const study = await store.getStudy(studyId);
      assert.equal(study?.status, 'completed');
      const events = (await store.listEvents(studyId, { limit: 1000 })).map((e) => e.type);
      assert.ok(events.includes('study.paused') && events.includes('study.resumed'), events.join(','));
      assert.equal((await store.listExperiments(studyId, { limit: 100 })).length, 6);
    });
  });

  it('pauses only the study whose model is down: a params study on the same controller goes on and completes', { timeout: 180_000 }, async () => {
    api.setPolicy(changeOneConstantPolicy);
    const created = await runCli(['token', 'create', '--team', 'llm-pause'], { DATABASE_URL: database.url });
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    const serve = await startServe(['--slots', '2'], env());
    api.down();
    try {
      const upload = async (dir: string, paths: string[], maxExperiments: number) => {
        const spec = parse(await readFile(join(dir, 'study.yaml'), 'utf8'));
        spec.stop = { ...spec.stop, maxExperiments };
        const files = await Promise.all(paths.map(async (path) => ({ path, contentBase64: (await readFile(join(dir, path))).toString('base64') })));
        const response = await callApi(serve.url, token, 'POST', '/v1/studies', { spec, files });
        assert.equal(response.status, 201, JSON.stringify(response.body));
        return (response.body as { id: string }).id;
      };
      const llmStudy = await upload(await folder(), ['train.js', 'program.md'], 6);
      const paramsDir = await makeStudyFolder();
      dirs.push(paramsDir);
      const paramsStudy = await upload(paramsDir, ['train.js'], 4);

      await waitFor(() => withStore(async (store) => ((await store.getStudy(llmStudy))?.status === 'paused' ? true : undefined)), 90_000);
      await waitForStatus(serve.url, token, paramsStudy, 'completed', 120_000);
      await withStore(async (store) => {
        assert.equal((await store.getStudy(llmStudy))?.status, 'paused', 'the llm study waits for its model');
        const decided = (await store.listExperiments(paramsStudy, { limit: 100 })).filter((e) => e.status === 'decided');
        assert.equal(decided.length, 4, 'the params study ran all its experiments while the other was paused');
      });
    } finally {
      api.up();
      serve.child.kill('SIGTERM');
      await serve.done;
    }
  });

  it('refuses an llm study without ANTHROPIC_API_KEY, naming the field, and creates nothing', { timeout: 60_000 }, async () => {
    const dir = await folder();
    const result = await runCli(['run', dir, '--slots', '1', '--port', '0'], { ...env(), ANTHROPIC_API_KEY: '' });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /mutator\.kind: "llm" needs ANTHROPIC_API_KEY/);
    assert.equal(await withStore((store) => store.findStudyBySourceDir(dir)), undefined);
  });

  it('stops a study once its model has cost maxCostUsd', { timeout: 120_000 }, async () => {
    api.setPolicy(changeOneConstantPolicy);
    const dir = await folder('  maxCostUsd: 0.001\n');
    const result = await runCli(['run', dir, '--slots', '1', '--max-experiments', '50', '--port', '0'], env());
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /reaching max-cost-usd \$0\.001/);
    await withStore(async (store) => {
      const study = await store.findStudyBySourceDir(dir);
      assert.equal(study?.status, 'completed');
      assert.match(study?.stopReason ?? '', /max-cost-usd/);
      const experiments = await store.listExperiments(study!.id, { limit: 100 });
      const cost = experiments.reduce((sum, e) => sum + (e.modelUsage?.costUsd ?? 0), 0);
      assert.ok(cost >= 0.001, `recorded cost ${cost}`);
      assert.ok(experiments.length < 50);
    });
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
