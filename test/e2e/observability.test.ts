// What an operator sees of a small study: a controller in this process (real Postgres, real agents as
// child processes, Claude played by the test Messages API server) runs an llm study to completion; then
// /metrics must parse as Prometheus text with sensible values for everything the study did, and every
// JSON log line about a run must carry its run, experiment and study ids.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import pino from 'pino';
import { readControllerEnv } from '../../services/controller/src/config.js';
import { startController, type RunningController } from '../../services/controller/src/controller.js';
import { createStudy } from '../../services/controller/src/scheduler/study-lifecycle.js';
import { loadStudyFolder } from '../../services/controller/src/spec/load-study-folder.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { ExperimentRow, RunRow, StudyRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { changeOneConstantPolicy, startAnthropicApiServer, type AnthropicApiServer } from '../support/anthropic-api/index.js';
import { REPO_ROOT } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder, SURROGATE_SPEC } from '../support/study-folder.js';

const LLM_SPEC = `${SURROGATE_SPEC.slice(0, SURROGATE_SPEC.indexOf('mutator:')).replace('  mutable: [train.js]', '  mutable: [train.js]\n  instructions: program.md')}mutator:
  kind: llm
  model: claude-sonnet-4-6
  maxTokens: 2000
  ahead: 1
  pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75, cacheReadPerMTok: 0.3 }
stop:
  maxExperiments: 4
`;

type LogLine = Record<string, unknown> & { msg: string; level: number };

describe('observability of a small study', () => {
  let database: TestDatabase;
  let model: AnthropicApiServer;
  let store: Store;
  let controller: RunningController;
  let dir: string;
  let study: StudyRow;
  let experiments: ExperimentRow[];
  let runs: RunRow[];
  let families: Map<string, PrometheusFamily>;
  let exposition: string;
  const written: string[] = [];

  before(async () => {
    database = await createTestDatabase('observability');
    model = await startAnthropicApiServer({ policy: changeOneConstantPolicy });
    store = await openStore({ databaseUrl: database.url, poolSize: 4 });
    dir = await makeStudyFolder({ 'study.yaml': LLM_SPEC, 'program.md': '# Surrogate\nTune LEARNING_RATE and WIDTH.\n' });
    const loaded = await loadStudyFolder(dir);
    study = await createStudy(store, { spec: loaded.spec, specHash: loaded.specHash, files: loaded.files, sourceDir: dir });
    const env = readControllerEnv({ ANTHROPIC_API_KEY: model.apiKey, ANTHROPIC_BASE_URL: model.url, PATH: process.env.PATH, HOME: process.env.HOME });
    // Debug, so the ingestion's own lines are checked too.
    const log = pino({ level: 'debug' }, { write: (line: string) => void written.push(line) });
    const stopped = new Promise<void>((resolve) => {
      const started = startController({
        store, env, log, host: '127.0.0.1', port: 0, cpuSlots: 2, auth: 'open', transport: 'embedded', studyIds: [study.id], executor: 'local',
      });
      void started.then((running) => {
        controller = running;
        running.scheduler.on('study.stopped', () => resolve());
      });
    });
    await stopped;
    experiments = await store.listExperiments(study.id, { limit: 100 });
    runs = (await Promise.all(experiments.map((e) => store.listRuns(e.id)))).flat();
    // Requests about the study and one of its runs, as a client makes them.
    for (const path of [`/v1/studies/${study.id}`, `/v1/studies/${study.id}/experiments`, `/v1/runs/${runs[0]!.id}`, '/v1/studies/nope']) {
      await fetch(`${controller.url}${path}`);
    }
    const scraped = await fetch(`${controller.url}/metrics`);
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    exposition = await scraped.text();
    families = new Map(parsePrometheusTextFormat(exposition).map((family) => [family.name, family]));
  });

  after(async () => {
    await controller?.close();
    await store.close();
    await model.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The value of one sample, found by its labels (all of them, or none for a family without labels). */
  function sample(name: string, labels: Record<string, string> = {}): number {
    const family = families.get(name);
    assert.ok(family, `/metrics has ${name}`);
    const found = family.metrics.find((m) => JSON.stringify(m.labels ?? {}) === JSON.stringify(labels));
    assert.ok(found, `${name}${JSON.stringify(labels)} among ${JSON.stringify(family.metrics.map((m) => m.labels))}`);
    return Number(found.value ?? found.count);
  }

  /**
   * One labelled series of a histogram. The parser folds all of a histogram's series into one, so the
   * series' own lines are handed to it alone, with its labels taken off.
   */
  function histogram(name: string, labels: Record<string, string> = {}): { count: number; sum: number } {
    assert.equal(families.get(name)?.type, 'HISTOGRAM', `${name} is a histogram`);
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
    const series = exposition.split('\n').flatMap((line) => {
      const match = new RegExp(`^${name}_(bucket|sum|count)(?:\\{(.*)\\})? (\\S+)$`).exec(line);
      if (!match) return [];
      const own = (match[2] ?? '').split(',').filter((l) => l !== '' && !l.startsWith('le='));
      if (own.sort().join(',') !== wanted) return [];
      const le = (match[2] ?? '').split(',').find((l) => l.startsWith('le='));
      return [`${name}_${match[1]}${le ? `{${le}}` : ''} ${match[3]}`];
    });
    const [parsed] = parsePrometheusTextFormat(`# TYPE ${name} histogram\n${series.join('\n')}\n`);
    const found = parsed?.metrics[0];
    assert.ok(found?.buckets && found.count !== undefined, `${name}{${wanted}} has samples`);
    return { count: Number(found.count), sum: Number(found.sum) };
  }

  it('completed the study it is about', () => {
    assert.equal(experiments.length, 4);
    assert.ok(runs.length >= 6 && runs.every((r) => r.status === 'succeeded'), JSON.stringify(runs.map((r) => [r.status, r.reason])));
  });

  it('counts the runs by outcome, the time they held their slots and the lag of their results', () => {
    assert.equal(families.get('autoresearch_runs_finished_total')?.type, 'COUNTER');
    assert.equal(sample('autoresearch_runs_started_total'), runs.length);
    assert.equal(sample('autoresearch_runs_finished_total', { status: 'succeeded' }), runs.length);
    const held = histogram('autoresearch_run_duration_seconds', { status: 'succeeded' });
    assert.equal(held.count, runs.length);
    assert.ok(held.sum > 0 && held.sum < runs.length * 60, `slots were held ${held.sum} s`);
    const lag = histogram('autoresearch_result_ingest_lag_seconds');
    assert.equal(lag.count, runs.length, 'every result was ingested once');
    assert.ok(lag.sum >= 0 && lag.sum / lag.count < 5, `results took ${lag.sum / lag.count} s on average to be recorded`);
  });

  it('shows the slots, their utilization and the queue per team, drained now that the study is done', () => {
    assert.equal(sample('autoresearch_slots'), 2);
    assert.equal(sample('autoresearch_slots_busy'), 0);
    const utilization = sample('autoresearch_slot_utilization');
    assert.ok(utilization >= 0 && utilization <= 1);
    assert.equal(sample('autoresearch_queue_depth', { team: 'local' }), 0);
    assert.equal(sample('autoresearch_runs_running', { team: 'local' }), 0);
    assert.equal(sample('autoresearch_studies', { status: 'completed' }), 1);
  });

  it('counts the decisions by outcome, and the model tokens and cost behind the proposals', () => {
    assert.equal(sample('autoresearch_decisions_total', { outcome: 'baseline' }), 1);
    const decided = families.get('autoresearch_decisions_total')!.metrics.reduce((sum, m) => sum + Number(m.value), 0);
    assert.equal(decided, experiments.length);
    const usages = experiments.flatMap((e) => (e.modelUsage ? [e.modelUsage] : []));
    assert.equal(usages.length, experiments.length - 1, 'each proposal recorded its usage');
    const model = 'claude-sonnet-4-6';
    assert.equal(sample('autoresearch_model_tokens_total', { model, kind: 'input' }), usages.reduce((sum, u) => sum + u.inputTokens, 0));
    assert.equal(sample('autoresearch_model_tokens_total', { model, kind: 'output' }), usages.reduce((sum, u) => sum + u.outputTokens, 0));
    assert.ok(sample('autoresearch_model_tokens_total', { model, kind: 'output' }) > 0);
    assert.ok(Math.abs(sample('autoresearch_model_cost_usd_total', { model }) - usages.reduce((sum, u) => sum + u.costUsd, 0)) < 1e-9);
    assert.ok(sample('autoresearch_model_cost_usd_total', { model }) > 0);
    assert.equal(sample('autoresearch_model_calls_total', { model }), usages.reduce((sum, u) => sum + u.calls, 0));
  });

  it('times the API by route pattern, never by id', () => {
    assert.equal(histogram('autoresearch_http_request_duration_seconds', { method: 'GET', route: '/v1/studies/:id', status_code: '200' }).count, 1);
    assert.equal(histogram('autoresearch_http_request_duration_seconds', { method: 'GET', route: '/v1/studies/:id', status_code: '404' }).count, 1);
    assert.ok(!exposition.includes(study.id) && !exposition.includes(runs[0]!.id), 'no id in any label');
  });

  it('has every series the sample Grafana dashboard queries', async () => {
    const dashboard = JSON.parse(await readFile(join(REPO_ROOT, 'deploy/grafana/autoresearch-dashboard.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/autoresearch_[a-z0-9_]+/g)].map((m) => m[0])));
    assert.ok(queried.size >= 12);
    for (const name of queried) {
      const family = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(families.has(family), `the dashboard's ${name} is served at /metrics`);
    }
  });

  describe('the JSON log', () => {
    let lines: LogLine[];
    before(() => {
      lines = written.map((line) => JSON.parse(line) as LogLine);
    });

    it('binds every line about a run to its run, experiment and study', () => {
      const experimentOf = new Map(runs.map((r) => [r.id, r.experimentId]));
      const aboutRuns = lines.filter((line) => line.runId !== undefined);
      assert.ok(aboutRuns.length >= runs.length * 2);
      for (const line of aboutRuns) {
        assert.equal(line.experimentId, experimentOf.get(line.runId as string), `experimentId on ${JSON.stringify(line)}`);
        assert.equal(line.studyId, study.id, `studyId on ${JSON.stringify(line)}`);
      }
      for (const line of lines.filter((l) => l.experimentId !== undefined)) assert.equal(line.studyId, study.id);
      const said = (msg: string) => new Set(lines.filter((l) => l.msg === msg).map((l) => l.runId));
      assert.equal(said('run started').size, runs.length);
      assert.equal(said('run finished').size, runs.length);
      assert.equal(said('result ingested').size, runs.length);
      assert.equal(lines.filter((l) => l.msg === 'experiment decided').length, experiments.length);
    });

    it("binds the API's request lines to the study or run they are about", () => {
      const incoming = lines.filter((l) => l.msg === 'incoming request' && String((l.req as { url: string }).url).startsWith(`/v1/studies/${study.id}`));
      assert.equal(incoming.length, 2);
      assert.ok(incoming.every((l) => l.studyId === study.id));
      const completed = lines.filter((l) => l.msg === 'request completed' && l.reqId === incoming[0]!.reqId);
      assert.equal(completed[0]?.studyId, study.id);
      const runRequest = lines.find((l) => l.msg === 'request completed' && l.runId === runs[0]!.id);
      assert.ok(runRequest, 'GET /v1/runs/:id completes bound to its run');
      assert.equal(runRequest.experimentId, runs[0]!.experimentId);
    });
  });
});
