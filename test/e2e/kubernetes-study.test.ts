// Studies end to end on Kubernetes: controllers with the Kubernetes executor on the real Postgres, each
// run a Job on the test API server whose kubelet runs the real agent, reporting over a real JetStream
// nats-server. Covers the acceptance: a study completes with builder-made Jobs, every injected
// fault ends as the right outcome and the study goes on, a controller restart loses nothing, and a pool
// of 4 GPUs never has more than 4 Jobs at once, even with two controller replicas.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { BatchV1Api, CoreV1Api, Watch, type V1Job, type V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { readControllerEnv } from '../../services/controller/src/config.js';
import { startController, type RunningController } from '../../services/controller/src/controller.js';
import { buildRunJob } from '../../services/controller/src/executors/kubernetes/build-job.js';
import { runTokenSecretName } from '../../services/controller/src/executors/kubernetes/names.js';
import { createStudy } from '../../services/controller/src/scheduler/study-lifecycle.js';
import { loadStudyFolder } from '../../services/controller/src/spec/load-study-folder.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { RunRow, StudyRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { assertContains } from '../support/contains.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api/index.js';
import { runRealAgent } from '../support/kube-agent.js';
import { sparePort, startNatsServer, type TestNatsServer } from '../support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder, SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

const IMAGE = 'registry.example.com/autoresearch/agent:1.0';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Every Job the API server accepted in a namespace, and the most that were active (unfinished) at once. */
class JobRecorder {
  readonly created = new Map<string, V1Job>();
  private readonly active = new Set<string>();
  private readonly activePods = new Set<string>();
  maxActiveJobs = 0;
  maxActivePods = 0;
  private controllers: AbortController[] = [];

  async start(kube: KubeApiServer, namespace: string): Promise<void> {
    const watch = new Watch(kube.kubeConfig(namespace));
    const finished = (job: V1Job) => (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    this.controllers.push(
      await watch.watch(`/apis/batch/v1/namespaces/${namespace}/jobs`, {}, (type, job: V1Job) => {
        const name = job.metadata!.name!;
        if (type === 'ADDED' && !this.created.has(name)) this.created.set(name, job);
        if (type === 'DELETED' || finished(job)) this.active.delete(name);
        else this.active.add(name);
        this.maxActiveJobs = Math.max(this.maxActiveJobs, this.active.size);
      }, () => {}),
      await watch.watch(`/api/v1/namespaces/${namespace}/pods`, {}, (type, pod: V1Pod) => {
        const name = pod.metadata!.name!;
        const done = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
        if (type === 'DELETED' || done) this.activePods.delete(name);
        else this.activePods.add(name);
        this.maxActivePods = Math.max(this.maxActivePods, this.activePods.size);
      }, () => {}),
    );
  }

  stop(): void {
    for (const controller of this.controllers) controller.abort();
  }
}

async function waitForStudy(store: Store, studyId: string, statuses: string[], timeoutMs = 120_000): Promise<StudyRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const study = await store.getStudy(studyId);
    if (study && statuses.includes(study.status)) return study;
    if (Date.now() > deadline) throw new Error(`study ${studyId} is ${study?.status}, not ${statuses.join(' or ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function allRuns(store: Store, studyId: string): Promise<RunRow[]> {
  const experiments = await store.listExperiments(studyId, { limit: 1000 });
  return (await Promise.all(experiments.map((e) => store.listRuns(e.id)))).flat();
}

describe('studies on Kubernetes', () => {
  let database: TestDatabase;
  let nats: TestNatsServer;
  let kube: KubeApiServer;
  let store: Store;
  const dirs: string[] = [];
  const controllers: RunningController[] = [];

  /** A study folder whose runs take `sleepMs` and ask for one GPU each. */
  async function studyFolder(options: { sleepMs?: number; maxExperiments?: number; baselineRepeats?: number } = {}): Promise<string> {
    const spec = SURROGATE_SPEC
      .replace('baselineRepeats: 3', `baselineRepeats: ${options.baselineRepeats ?? 3}`)
      .replace('  graceSeconds: 2\n', `  graceSeconds: 2\n  kubernetes:\n    image: ${IMAGE}\n    gpus: 1\n    limits: { memory: 16Gi }\n`)
      + `stop:\n  maxExperiments: ${options.maxExperiments ?? 6}\n`;
    const dir = await makeStudyFolder({ 'study.yaml': spec, 'train.js': SURROGATE_SCRIPT.replace('const SLEEP_MS = 0;', `const SLEEP_MS = ${options.sleepMs ?? 0};`) });
    dirs.push(dir);
    return dir;
  }

  async function submit(dir: string): Promise<StudyRow> {
    const loaded = await loadStudyFolder(dir);
    return createStudy(store, { spec: loaded.spec, specHash: loaded.specHash, files: loaded.files, sourceDir: dir });
  }

  async function controller(namespace: string, id: string, studyIds: string[], port = 0, startTimeoutSeconds = 1): Promise<RunningController> {
    const env = readControllerEnv({
      NATS_URL: nats.url,
      AUTORESEARCH_EXECUTOR: 'kubernetes',
      AUTORESEARCH_K8S_NAMESPACE: namespace,
      AUTORESEARCH_K8S_START_TIMEOUT_SECONDS: String(startTimeoutSeconds),
      // Enough for one run to meet all three infrastructure faults in a row and still be retried.
      AUTORESEARCH_LOST_RETRIES: '4',
      AUTORESEARCH_CONTROLLER_ID: id,
      PATH: process.env.PATH,
    });
    const running = await startController({
      store, env, log, host: '127.0.0.1', port, cpuSlots: undefined, auth: 'tokens', transport: 'nats', studyIds, kubeConfig: kube.kubeConfig(namespace),
    });
    controllers.push(running);
    return running;
  }

  before(async () => {
    database = await createTestDatabase('k8s_study');
    nats = await startNatsServer();
    kube = await startKubeApiServer({ nodes: [{ name: 'gpu-node', gpus: 4 }], rewriteCommand: runRealAgent, faultAfterMs: 400, maxGraceMs: 3000 });
    store = await openStore({ databaseUrl: database.url, poolSize: 8 });
  });

  after(async () => {
    for (const running of controllers.splice(0)) await running.close();
    await kube.close();
    await store.close();
    await nats.dispose();
    await database.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('runs a study to completion, every run a Job exactly as the builder makes it, with its GPU and deadline', { timeout: 180_000 }, async () => {
    const namespace = 'study-completes';
    const recorder = new JobRecorder();
    await recorder.start(kube, namespace);
    const study = await submit(await studyFolder({ maxExperiments: 6 }));
    const running = await controller(namespace, 'controller-a', [study.id]);
    const ended = await waitForStudy(store, study.id, ['completed', 'stopped']);
    assert.equal(ended.status, 'completed', ended.stopReason ?? '');

    const runs = await allRuns(store, study.id);
    const experiments = await store.listExperiments(study.id, { limit: 100 });
    assert.equal(experiments.length, 6);
    assert.ok(experiments.every((e) => e.status === 'decided'), JSON.stringify(experiments.map((e) => [e.number, e.status, e.outcome])));
    assert.ok(runs.every((r) => r.status === 'succeeded' && r.attempt === 1), JSON.stringify(runs.map((r) => [r.status, r.attempt, r.reason])));
    assert.equal(recorder.created.size, runs.length, 'one Job per run, none repeated');

    for (const run of runs) {
      const experiment = experiments.find((e) => e.id === run.experimentId)!;
      const branch = await store.getBranch(experiment.branchId);
      const job = [...recorder.created.values()].find((j) => j.metadata?.labels?.['autoresearch.dev/run'] === run.id);
      assert.ok(job, `a Job for run ${run.id}`);
      const expected = buildRunJob({
        run: { runId: run.id, attempt: run.attempt, studyId: study.id, branchIndex: branch!.index, experimentNumber: experiment.number },
        spec: study.spec,
        namespace,
        controllerUrl: running.url,
        natsUrl: nats.url,
        tokenSecretName: runTokenSecretName(run.id, run.attempt),
      });
      assertContains(job, { metadata: { name: expected.metadata!.name, labels: expected.metadata!.labels }, spec: expected.spec });
      const container = job.spec!.template.spec!.containers[0]!;
      assert.equal(container.resources?.limits?.['nvidia.com/gpu'], '1');
      assert.equal(container.resources?.requests?.['nvidia.com/gpu'], '1');
      assert.equal(job.spec!.activeDeadlineSeconds, 20 + 2 + 300, 'budget + grace + startup allowance');
    }
    // A study without run.kubernetes is refused at submission, naming the field, and nothing is created.
    await store.ensureTeam('ml', {});
    const { token } = await store.createApiToken({ teamName: 'ml', name: 'ci' });
    const before = (await store.listStudies({ limit: 100 })).items.length;
    const loaded = await loadStudyFolder(await makeStudyFolder());
    const refused = await fetch(`${running.url}/v1/studies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ spec: loaded.spec, files: loaded.files.map((f) => ({ path: f.path, contentBase64: f.content.toString('base64') })) }),
    });
    dirs.push(loaded.dir);
    assert.equal(refused.status, 400);
    const problem = JSON.stringify(await refused.json());
    assert.match(problem, /run\.kubernetes/);
    assert.match(problem, /is required to run on Kubernetes/);
    assert.equal((await store.listStudies({ limit: 100 })).items.length, before);

    // The completed study's Jobs and token Secrets are gone.
    const batch = kube.kubeConfig(namespace).makeApiClient(BatchV1Api);
    await until('the study’s Jobs deleted', async () => (await batch.listNamespacedJob({ namespace, labelSelector: `autoresearch.dev/study=${study.id}` })).items.length === 0);
    recorder.stop();
    await running.close();
    controllers.splice(controllers.indexOf(running), 1);
  });

  it('records each injected fault with its outcome and reason, and the study goes on', { timeout: 180_000 }, async () => {
    const namespace = 'study-faults';
    const study = await submit(await studyFolder({ maxExperiments: 8, sleepMs: 1500 }));
    const running = await controller(namespace, 'controller-a', [study.id]);
    // After the baseline (whose failure would stop the study): the next four Jobs each meet one fault.
    await until('the baseline decided', async () => (await store.getExperimentByNumber(study.id, 0))?.status === 'decided');
    for (const fault of ['unschedulable', 'imagePullBackOff', 'nodeLost', 'oomKilled'] as const) kube.inject.nextJobs(1, fault);

    const ended = await waitForStudy(store, study.id, ['completed', 'stopped']);
    assert.equal(ended.status, 'completed', ended.stopReason ?? '');
    const events = await store.listEvents(study.id, { limit: 1000 });
    const lost = events.filter((e) => e.type === 'run.lost').map((e) => e.payload as { reason: string; retried: boolean });
    for (const pattern of [/^Unschedulable for 1 s: 0\/1 nodes are available/, /^(ImagePullBackOff|ErrImagePull) for 1 s: /, /^NodeLost: its node was lost/]) {
      const found = lost.find((l) => pattern.test(l.reason));
      assert.ok(found, `a run.lost event matching ${pattern}; got ${JSON.stringify(lost)}`);
      assert.equal(found.retried, true);
    }
    const runs = await allRuns(store, study.id);
    const oom = runs.filter((r) => r.status === 'crashed');
    assert.equal(oom.length, 1, JSON.stringify(runs.map((r) => [r.status, r.reason])));
    assert.match(oom[0]!.reason ?? '', /^OOM: the container was killed for running out of memory \(limit 16Gi\)/);
    const crashed = (await store.listExperiments(study.id, { limit: 100 })).find((e) => e.id === oom[0]!.experimentId)!;
    assert.equal(crashed.outcome, 'crash');
    assert.match(crashed.reason ?? '', /OOM/);
    // The three infrastructure failures each cost one more attempt (a retry may itself meet the next
    // fault); nothing but the OOM failed.
    assert.equal(runs.reduce((sum, r) => sum + r.attempt - 1, 0), 3, JSON.stringify(runs.map((r) => [r.status, r.attempt])));
    assert.equal(runs.filter((r) => r.status !== 'succeeded').length, 1);
    await running.close();
    controllers.splice(controllers.indexOf(running), 1);
  });

  it('adopts the running Jobs after a controller restart, deletes orphans, and loses nothing', { timeout: 180_000 }, async () => {
    const namespace = 'study-restart';
    const recorder = new JobRecorder();
    await recorder.start(kube, namespace);
    const study = await submit(await studyFolder({ maxExperiments: 5, sleepMs: 2500 }));
    // Agents reach the controller at one address across the restart, as they reach a Service in a cluster.
    const port = await sparePort();
    const first = await controller(namespace, 'controller-a', [study.id], port);
    const batch = kube.kubeConfig(namespace).makeApiClient(BatchV1Api);
    await until('runs in flight', async () => (await store.listRunsByStatus(study.id, 'running')).length >= 2, 60_000);
    await first.close();
    controllers.splice(controllers.indexOf(first), 1);
    const inFlight = (await store.listRunsByStatus(study.id, 'running')).map((r) => r.id);
    assert.ok(inFlight.length >= 2);

    // A Job whose run no controller knows: what a crash between a claim being undone and its Job's deletion leaves.
    const orphan = buildRunJob({
      run: { runId: '00000000-0000-4000-8000-00000000dead', attempt: 1, studyId: study.id, branchIndex: 0, experimentNumber: 99 },
      spec: study.spec, namespace, controllerUrl: 'http://nowhere:1', natsUrl: nats.url, tokenSecretName: 'ar-run-00000000-1-token',
    });
    await kube.kubeConfig(namespace).makeApiClient(BatchV1Api).createNamespacedJob({ namespace, body: orphan });
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const second = await controller(namespace, 'controller-b', [study.id], port);
    assert.equal(second.url, first.url);
    await until('the orphan deleted', async () => !(await batch.listNamespacedJob({ namespace })).items.some((j) => j.metadata?.name === orphan.metadata!.name));
    const ended = await waitForStudy(store, study.id, ['completed', 'stopped']);
    assert.equal(ended.status, 'completed', ended.stopReason ?? '');
    const runs = await allRuns(store, study.id);
    const events = await store.listEvents(study.id, { limit: 1000 });
    assert.ok(runs.every((r) => r.status === 'succeeded' && r.attempt === 1), JSON.stringify(events.filter((e) => e.type === 'run.lost')));
    for (const id of inFlight) assert.ok(runs.some((r) => r.id === id && r.status === 'succeeded'), `run ${id}, in flight at the restart, finished`);
    assert.equal(events.filter((e) => e.type === 'run.lost').length, 0, 'no run was lost');
    assert.equal(recorder.created.size, runs.length + 1, 'one Job per run (and the orphan), none started twice');
    recorder.stop();
    await second.close();
    controllers.splice(controllers.indexOf(second), 1);
  });

  it('stops a study: running agents are told to stop, pods that never started are deleted, and so are all its Jobs', { timeout: 180_000 }, async () => {
    const namespace = 'study-stop';
    const study = await submit(await studyFolder({ maxExperiments: 3, baselineRepeats: 3, sleepMs: 60_000 }));
    // The first run's pod waits for a node (the start timeout is far away); the others run.
    kube.inject.nextJobs(1, 'unschedulable');
    const running = await controller(namespace, 'controller-a', [study.id], 0, 600);
    const batch = kube.kubeConfig(namespace).makeApiClient(BatchV1Api);
    const core = kube.kubeConfig(namespace).makeApiClient(CoreV1Api);
    await until('one pod pending and the others running', async () => {
      const phases = (await core.listNamespacedPod({ namespace })).items.map((p) => p.status?.phase);
      return phases.filter((p) => p === 'Pending').length === 1 && phases.filter((p) => p === 'Running').length >= 2;
    });
    await running.scheduler.requestStop(study.id, 'stopped by the test');
    const ended = await waitForStudy(store, study.id, ['completed', 'stopped'], 60_000);
    assert.equal(ended.status, 'stopped');
    const runs = await allRuns(store, study.id);
    assert.ok(runs.every((r) => r.status === 'stopped'), JSON.stringify(runs.map((r) => [r.status, r.reason])));
    const started = runs.filter((r) => r.startedAt !== null && r.attempt > 0);
    assert.equal(started.filter((r) => /before its agent started/.test(r.reason ?? '')).length, 1, JSON.stringify(started.map((r) => r.reason)));
    assert.ok(started.filter((r) => /stopped by the test/.test(r.reason ?? '')).length >= 2, 'the running agents were told to stop');
    await until('the study’s Jobs deleted', async () => (await batch.listNamespacedJob({ namespace })).items.length === 0);
    await running.close();
    controllers.splice(controllers.indexOf(running), 1);
  });

  it('never has more Jobs than free GPUs: 4 GPUs, 20 queued runs, two controller replicas', { timeout: 180_000 }, async () => {
    const namespace = 'study-capacity';
    const recorder = new JobRecorder();
    await recorder.start(kube, namespace);
    const study = await submit(await studyFolder({ maxExperiments: 1, baselineRepeats: 20, sleepMs: 800 }));
    assert.equal((await store.listRunsByStatus(study.id, 'queued')).length, 20);
    const [a, b] = await Promise.all([controller(namespace, 'replica-a', [study.id]), controller(namespace, 'replica-b', [study.id])]);
    const ended = await waitForStudy(store, study.id, ['completed', 'stopped'], 150_000);
    assert.equal(ended.status, 'completed', ended.stopReason ?? '');
    assert.equal(recorder.created.size, 20);
    assert.ok(recorder.maxActiveJobs <= 4, `at most 4 Jobs at once, saw ${recorder.maxActiveJobs}`);
    assert.ok(recorder.maxActivePods <= 4, `at most 4 pods at once, saw ${recorder.maxActivePods}`);
    assert.equal(recorder.maxActiveJobs, 4, 'the pool was used in full');
    const launchedBy = new Set((await allRuns(store, study.id)).map((r) => r.host));
    assert.deepEqual([...launchedBy].sort(), ['replica-a', 'replica-b'], 'both replicas launched runs');
    recorder.stop();
    for (const running of [a!, b!]) {
      await running.close();
      controllers.splice(controllers.indexOf(running), 1);
    }
  });
});
