// The Kubernetes executor against the test API server, through @kubernetes/client-node: what it creates,
// how it reads every fault the cluster can deal a run, what it adopts and deletes on start, and how it
// rides out an API server that fails. The agent is a stand-in shell here; kubernetes-study.test.ts runs
// the real one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Container } from '@kubernetes/client-node';
import pino from 'pino';
import { parse } from 'yaml';
import { readControllerEnv, type KubernetesSettings } from '../../services/controller/src/config.js';
import type { AgentGone, RunLaunch } from '../../services/controller/src/executors/executor.js';
import { buildRunJob } from '../../services/controller/src/executors/kubernetes/build-job.js';
import { KubernetesExecutor } from '../../services/controller/src/executors/kubernetes/kubernetes-executor.js';
import { runJobName, runTokenSecretName } from '../../services/controller/src/executors/kubernetes/names.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { assertContains } from '../support/contains.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api/index.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

const NAMESPACE = 'exec-test';
const log = pino({ level: 'silent' });

/** The stand-in agent: `AGENT_SCRIPT` from the run's env, else a short sleep and success. */
function standInAgent(container: V1Container) {
  const script = container.env?.find((e) => e.name === 'AGENT_SCRIPT')?.value ?? 'sleep 0.3';
  return { command: ['sh', '-c', script] };
}

function spec(env: Record<string, string> = {}, kubernetes: Record<string, unknown> = {}) {
  const raw = parse(SURROGATE_SPEC) as Record<string, any>;
  raw.run = { ...raw.run, budgetSeconds: 60, env, kubernetes: { image: 'ghcr.io/acme/trainer:1.0', gpus: 1, ...kubernetes } };
  return validateStudySpec(raw);
}

function launchFor(overrides: Partial<RunLaunch> = {}): RunLaunch {
  return {
    runId: randomUUID(),
    attempt: 1,
    token: `ar_run_${randomUUID()}`,
    slot: { name: 'kubernetes', env: {} },
    controllerUrl: 'http://ignored',
    studyId: 'study-1',
    spec: spec(),
    branchIndex: 0,
    experimentNumber: 1,
    ...overrides,
  };
}

function settings(overrides: Partial<KubernetesSettings> = {}): KubernetesSettings {
  return { ...readControllerEnv({}).kubernetes, namespace: NAMESPACE, startTimeoutSeconds: 0.5, ...overrides };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Launches a run and resolves with how it ended. */
function launchAndWait(executor: KubernetesExecutor, run: RunLaunch): Promise<AgentGone> {
  return new Promise((resolve) => executor.launch(run, (_ids, gone) => resolve(gone)));
}

/**
 * A pass-through proxy in front of the API server that answers chosen requests with an error Status
 * first: a flaky or refusing API server, as the client library sees one.
 */
async function startFlakyProxy(target: string) {
  const failures: { method: string; path: RegExp; code: number; reason: string; remaining: number }[] = [];
  const server: Server = createServer((req, res) => {
    const failure = failures.find((f) => f.remaining > 0 && f.method === req.method && f.path.test(req.url ?? ''));
    if (failure) {
      failure.remaining -= 1;
      res.writeHead(failure.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: failure.reason, code: failure.code, message: `${failure.reason} (injected by the test proxy)` }));
      return;
    }
    const upstream = new URL(target);
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.flushHeaders(); // a watch sends its headers before any event
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fail(method: string, path: RegExp, code: number, reason: string, times: number) {
      failures.push({ method, path, code, reason, remaining: times });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function kubeConfigFor(server: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'test', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test', namespace: NAMESPACE }],
    currentContext: 'test',
  });
  return kc;
}

describe('Kubernetes executor', () => {
  let kube: KubeApiServer;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  const executors: KubernetesExecutor[] = [];

  /** A fresh executor; the previous test's stops watching first, so that no two act on the same Jobs. */
  async function startExecutor(overrides: Partial<KubernetesSettings> = {}, options: { kubeConfig?: KubeConfig; isLive?: (runId: string, attempt: number) => Promise<boolean>; sink?: (ids: { runId: string; attempt: number }, gone: AgentGone) => void } = {}) {
    for (const previous of executors.splice(0)) await previous.detachAll();
    const executor = new KubernetesExecutor({
      kubeConfig: options.kubeConfig ?? kube.kubeConfig(NAMESPACE),
      settings: settings(overrides),
      controllerUrl: () => 'http://controller.test:8420',
      natsUrl: 'nats://nats.test:4222',
      log,
      reconcileIntervalMs: 100,
      nodeRefreshMs: 200,
      rewatchDelayMs: 100,
    });
    executors.push(executor);
    await executor.start(options.sink ?? (() => {}), options.isLive ?? (async () => true));
    return executor;
  }

  before(async () => {
    kube = await startKubeApiServer({ nodes: [{ name: 'gpu-a', gpus: 2 }, { name: 'gpu-b', gpus: 4 }], rewriteCommand: standInAgent, faultAfterMs: 150, maxGraceMs: 500 });
    batch = kube.kubeConfig(NAMESPACE).makeApiClient(BatchV1Api);
    core = kube.kubeConfig(NAMESPACE).makeApiClient(CoreV1Api);
  });

  after(async () => {
    for (const executor of executors.splice(0)) await executor.detachAll();
    await kube.close();
  });

  it('creates the token Secret and exactly the Job the builder makes, holds a GPU until it ends, then cleans up the Secret', async () => {
    const executor = await startExecutor();
    assert.deepEqual(executor.capacity(), { name: 'kubernetes', total: 6, holders: [], busy: 0 });
    const run = launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 0.5' }) });
    const gone = launchAndWait(executor, run);
    assert.deepEqual(executor.capacity().holders, [{ runId: run.runId, gpus: 1 }], 'a Job being created holds its GPU at once');
    assert.equal(executor.isStarting(run), true);

    const name = runJobName(run.runId, run.attempt);
    const job = await until('the Job', () => batch.readNamespacedJob({ namespace: NAMESPACE, name }).catch(() => undefined));
    const expected = buildRunJob({
      run: { runId: run.runId, attempt: run.attempt, studyId: run.studyId, branchIndex: run.branchIndex, experimentNumber: run.experimentNumber },
      spec: run.spec,
      namespace: NAMESPACE,
      controllerUrl: 'http://controller.test:8420',
      natsUrl: 'nats://nats.test:4222',
      tokenSecretName: runTokenSecretName(run.runId, run.attempt),
    });
    assertContains(job.spec, expected.spec);
    assert.deepEqual(job.metadata?.labels, expected.metadata?.labels);
    assert.ok(!JSON.stringify(job).includes(run.token), 'the token is not in the Job');
    const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: runTokenSecretName(run.runId, run.attempt) });
    assert.equal(Buffer.from(secret.data!.token!, 'base64').toString(), run.token);

    await until('the pod running', () => !executor.isStarting(run) || undefined);
    assert.equal(executor.capacity().busy, 1);
    const ended = await gone;
    assert.equal(ended.exitCode, 0);
    assert.equal(ended.verdict, undefined);
    await until('the GPU back', () => executor.capacity().busy === 0 || undefined);
    await until('the Secret deleted', () => core.readNamespacedSecret({ namespace: NAMESPACE, name: secret.metadata!.name! }).then(() => undefined, () => true));
  });

  it('rejects a run whose spec cannot make a Job, naming the field, and creates nothing', async () => {
    const executor = await startExecutor();
    // A spec that skipped validation (stored by an older version, say) is still checked.
    const broken = spec();
    (broken.run.kubernetes as { gpus: number }).gpus = -1;
    const run = launchFor({ spec: broken });
    const gone = await launchAndWait(executor, run);
    assert.equal(gone.verdict?.status, 'crashed');
    assert.match(gone.verdict!.reason, /run\.kubernetes\.gpus: must be a whole number ≥ 0, got -1/);
    await assert.rejects(batch.readNamespacedJob({ namespace: NAMESPACE, name: runJobName(run.runId, run.attempt) }));
    assert.equal(executor.capacity().busy, 0);
  });

  it('records OOMKilled as a crash with reason OOM', async () => {
    const executor = await startExecutor();
    kube.inject.nextJobs(1, 'oomKilled');
    const gone = await launchAndWait(executor, launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 30' }, { limits: { memory: '16Gi' } }) }));
    assert.deepEqual(gone.verdict, { status: 'crashed', reason: 'OOM: the container was killed for running out of memory (limit 16Gi)' });
  });

  it('records a lost node as lost, to be retried', async () => {
    const executor = await startExecutor();
    kube.inject.nextJobs(1, 'nodeLost');
    const gone = await launchAndWait(executor, launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 30' }) }));
    assert.equal(gone.verdict?.status, 'lost');
    assert.match(gone.verdict!.reason, /^NodeLost: its node was lost: Node gpu-. which was running pod .* is unresponsive/);
    assert.equal(gone.verdict?.status === 'lost' && gone.verdict.retry, true);
  });

  it('judges a lost node and an OOM kill on the pod even when the pod watch lags behind the Job watch', async () => {
    const executor = await startExecutor();
    kube.inject.watchLag('pods', 2000);
    try {
      kube.inject.nextJobs(1, 'nodeLost');
      const lost = await launchAndWait(executor, launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 30' }) }));
      assert.match(lost.verdict?.reason ?? '', /^NodeLost: its node was lost/);
      kube.inject.nextJobs(1, 'oomKilled');
      const oom = await launchAndWait(executor, launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 30' }) }));
      assert.deepEqual(oom.verdict, { status: 'crashed', reason: 'OOM: the container was killed for running out of memory' });
    } finally {
      kube.inject.watchLag('pods', 0);
    }
  });

  it('gives up on an unschedulable pod after the start timeout, deletes its Job and retries it when configured to', async () => {
    const executor = await startExecutor({ startTimeoutSeconds: 0.5, onStartTimeout: 'retry' });
    kube.inject.nextJobs(1, 'unschedulable');
    const run = launchFor();
    const gone = launchAndWait(executor, run);
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(executor.isStarting(run), true, 'a pending pod is still starting: its silence means nothing');
    const ended = await gone;
    assert.equal(ended.verdict?.status, 'lost');
    assert.match(ended.verdict!.reason, /^Unschedulable for 0.5 s: 0\/1 nodes are available/);
    assert.equal(ended.verdict?.status === 'lost' && ended.verdict.retry, true);
    await until('the Job deleted', () => batch.readNamespacedJob({ namespace: NAMESPACE, name: runJobName(run.runId, run.attempt) }).then(() => undefined, () => true));
  });

  it('fails a run whose image never pulls when configured to fail', async () => {
    const executor = await startExecutor({ startTimeoutSeconds: 0.5, onStartTimeout: 'fail' });
    kube.inject.nextJobs(1, 'imagePullBackOff');
    const gone = await launchAndWait(executor, launchFor());
    assert.equal(gone.verdict?.status, 'lost');
    assert.match(gone.verdict!.reason, /^(ImagePullBackOff|ErrImagePull) for 0.5 s: .*ghcr\.io\/acme\/trainer:1\.0/);
    assert.equal(gone.verdict?.status === 'lost' && gone.verdict.retry, false);
  });

  it('reports an agent that failed with its exit code and last log lines', async () => {
    const executor = await startExecutor();
    const gone = await launchAndWait(executor, launchFor({ spec: spec({ AGENT_SCRIPT: 'echo "cannot reach the controller" >&2; exit 1' }) }));
    assert.equal(gone.exitCode, 1);
    assert.equal(gone.verdict, undefined);
    assert.deepEqual(gone.lastOutput, ['cannot reach the controller']);
  });

  it('treats a deleted pod or a deleted Job as lost and retried', async () => {
    const executor = await startExecutor();
    const podRun = launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 30' }) });
    const podGone = launchAndWait(executor, podRun);
    const pod = await until('the pod running', async () => {
      const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `job-name=${runJobName(podRun.runId, podRun.attempt)}` });
      return pods.items.find((p) => p.status?.phase === 'Running');
    });
    await core.deleteNamespacedPod({ namespace: NAMESPACE, name: pod.metadata!.name! });
    const afterPod = await podGone;
    // The stand-in shell dies of SIGTERM; a real agent reports `stopped`, which the scheduler retries too.
    assert.ok(afterPod.verdict?.status === 'lost' || afterPod.exitCode !== 0, JSON.stringify(afterPod));

    const jobRun = launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 30' }) });
    const jobGone = launchAndWait(executor, jobRun);
    await until('the pod running', () => (!executor.isStarting(jobRun) ? true : undefined));
    await batch.deleteNamespacedJob({ namespace: NAMESPACE, name: runJobName(jobRun.runId, jobRun.attempt), propagationPolicy: 'Background' });
    const afterJob = await jobGone;
    assert.deepEqual(afterJob.verdict, { status: 'lost', reason: 'the Job was deleted before its run ended', retry: true });
  });

  it('on start, adopts the Jobs of running runs and deletes the orphans', async () => {
    const first = await startExecutor();
    const live = launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 2' }) });
    const orphan = launchFor({ spec: spec({ AGENT_SCRIPT: 'sleep 30' }) });
    first.launch(live, () => {});
    first.launch(orphan, () => {});
    await until('both pods running', () => (!first.isStarting(live) && !first.isStarting(orphan) ? true : undefined));
    const heard: { runId: string; gone: AgentGone }[] = [];
    const second = await startExecutor({}, {
      isLive: async (runId) => runId === live.runId,
      sink: (ids, gone) => heard.push({ runId: ids.runId, gone }),
    });
    await until('the orphan deleted', () => batch.readNamespacedJob({ namespace: NAMESPACE, name: runJobName(orphan.runId, orphan.attempt) }).then(() => undefined, () => true));
    await until('the adopted run ending', () => heard.find((h) => h.runId === live.runId));
    assert.equal(heard.find((h) => h.runId === live.runId)?.gone.exitCode, 0);
    assert.equal(heard.some((h) => h.runId === orphan.runId), false, 'a deleted orphan is not reported');
    assert.equal(second.capacity().busy, 0);
  });

  it('deletes a stopped study’s Jobs, and an abandoned run’s Job', async () => {
    const executor = await startExecutor();
    const runs = [launchFor({ studyId: 'study-to-stop', spec: spec({ AGENT_SCRIPT: 'sleep 30' }) }), launchFor({ studyId: 'study-to-stop', spec: spec({ AGENT_SCRIPT: 'sleep 30' }) })];
    const other = launchFor({ studyId: 'other-study', spec: spec({ AGENT_SCRIPT: 'sleep 30' }) });
    for (const run of [...runs, other]) executor.launch(run, () => {});
    await until('the Jobs', async () => ((await batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: 'autoresearch.dev/study in (study-to-stop,other-study)' })).items.length === 3 ? true : undefined));
    await until('the Jobs in the cache', () => (executor.capacity().busy >= 3 ? true : undefined));
    await executor.studyStopped('study-to-stop');
    await until('the stopped study’s Jobs gone', async () => ((await batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: 'autoresearch.dev/study=study-to-stop' })).items.length === 0 ? true : undefined));
    assert.equal((await batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: 'autoresearch.dev/study=other-study' })).items.length, 1);
    executor.abandon(other);
    await until('the abandoned Job gone', async () => ((await batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: 'autoresearch.dev/study=other-study' })).items.length === 0 ? true : undefined));
  });

  it('discovers the GPU pool from the nodes and follows it as nodes come and go, unless it is configured', async () => {
    const discovering = await startExecutor();
    assert.equal(discovering.capacity().total, 6);
    kube.nodes.set({ name: 'gpu-c', gpus: 8 });
    await until('the new node counted', () => (discovering.capacity().total === 14 ? true : undefined));
    kube.nodes.remove('gpu-c');
    await until('the node gone', () => (discovering.capacity().total === 6 ? true : undefined));
    const configured = await startExecutor({ gpus: 3 });
    kube.nodes.set({ name: 'gpu-d', gpus: 8 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    kube.nodes.remove('gpu-d');
    assert.equal(configured.capacity().total, 3);
  });

  it('retries a flaky API server, and fails a run the API server refuses with the server’s words', async () => {
    const proxy = await startFlakyProxy(kube.url);
    try {
      const executor = await startExecutor({}, { kubeConfig: kubeConfigFor(proxy.url, kube.token) });
      proxy.fail('POST', /\/jobs$/, 503, 'ServiceUnavailable', 2);
      const flaky = await launchAndWait(executor, launchFor());
      assert.equal(flaky.exitCode, 0, 'two 503s are retried and the run goes through');

      proxy.fail('POST', /\/jobs$/, 403, 'Forbidden', 1);
      const refused = await launchAndWait(executor, launchFor());
      assert.equal(refused.verdict?.status, 'lost');
      assert.match(refused.verdict!.reason, /could not create the Job of run .*: 403 Forbidden: Forbidden \(injected by the test proxy\)/);
      assert.equal(refused.verdict?.status === 'lost' && refused.verdict.retry, false);

      proxy.fail('POST', /\/jobs$/, 503, 'ServiceUnavailable', 10);
      const down = await launchAndWait(executor, launchFor());
      assert.equal(down.verdict?.status, 'lost');
      assert.match(down.verdict!.reason, /503 ServiceUnavailable.*\(4 tries\)/);
      assert.equal(down.verdict?.status === 'lost' && down.verdict.retry, true, 'an unreachable API server is retried later');
      assert.equal(executor.capacity().busy, 0, 'a Job that was never created holds no GPU');
    } finally {
      for (const executor of executors.splice(0)) await executor.detachAll();
      await proxy.close();
    }
  });
});
