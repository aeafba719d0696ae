// Screen, then promote on Kubernetes: a two-stage study runs end to end with the Kubernetes executor on the
// test API server, whose kubelet runs the real agent over real NATS. Cheap GPUs screen and expensive GPUs
// confirm: every Job carries its stage's budget (in its deadline), its GPU class's resources and node
// selector, and its stage's name, and lands on that class's node.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Watch, type V1Job, type V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { readControllerEnv } from '../../services/controller/src/config.js';
import { startController, type RunningController } from '../../services/controller/src/controller.js';
import { buildRunJob, STAGE_LABEL } from '../../services/controller/src/executors/kubernetes/build-job.js';
import { runTokenSecretName } from '../../services/controller/src/executors/kubernetes/names.js';
import { createStudy } from '../../services/controller/src/scheduler/study-lifecycle.js';
import { loadStudyFolder } from '../../services/controller/src/spec/load-study-folder.js';
import { openStore } from '../../services/controller/src/store/open-store.js';
import type { StudyRow } from '../../services/controller/src/store/schema.js';
import type { Store } from '../../services/controller/src/store/store.js';
import { assertContains } from '../support/contains.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api/index.js';
import { runRealAgent } from '../support/kube-agent.js';
import { startNatsServer, type TestNatsServer } from '../support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder } from '../support/study-folder.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const NAMESPACE = 'staged-study';

/** loss = 2 at the screen and 1 at the full stage, 0.1 lower per unit of GAIN, with a small alternating noise; each run notes what it was told. */
const script = (seen: string) => `const GAIN = 0;
const fs = require('node:fs');
const stage = process.env.AUTORESEARCH_STAGE;
const counter = ${JSON.stringify(seen)} + '.' + stage;
const k = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(k + 1));
fs.appendFileSync(${JSON.stringify(seen)}, [stage, process.env.AUTORESEARCH_BUDGET_SECONDS].join(' ') + '\\n');
console.log('---');
console.log('loss: ' + ((stage === 'screen' ? 2 : 1) - 0.1 * GAIN + [0, 0.002, -0.002][k % 3]).toFixed(6));
`;

const SPEC = `name: staged-on-kubernetes
flavor: training
workspace:
  mutable: [train.js]
objective: { metric: loss, direction: minimize }
run:
  command: node train.js
  budgetSeconds: 99
  graceSeconds: 2
  kubernetes:
    image: registry.example.com/autoresearch/agent:1.0
    gpus: 1
    limits: { memory: 16Gi }
    gpuClasses:
      small: { gpus: 1, nodeSelector: { gpu-type: l4 }, limits: { memory: 8Gi } }
      large: { gpus: 2, nodeSelector: { gpu-type: h100 }, tolerations: [{ key: dedicated, operator: Equal, value: h100, effect: NoSchedule }] }
baselineRepeats: 3
stages:
  - { name: screen, budgetSeconds: 7, repeats: 1, gpuClass: small, promote: { calibration: 0 } }
  - { name: full, budgetSeconds: 20, repeats: 2, gpuClass: large }
mutator:
  kind: params
  seed: 1
  params:
    - { name: GAIN, file: train.js, choices: [-1, 0, 1] }
stop: { maxExperiments: 3 }
`;

describe('a study with stages on Kubernetes', () => {
  let database: TestDatabase;
  let nats: TestNatsServer;
  let kube: KubeApiServer;
  let store: Store;
  let controller: RunningController | undefined;
  const dirs: string[] = [];

  before(async () => {
    database = await createTestDatabase('k8s_stages');
    nats = await startNatsServer();
    // The pool is 10 GPUs: 4 cheap ones for the screen, 6 expensive ones for the full stage (3 runs of 2 fit).
    kube = await startKubeApiServer({
      nodes: [{ name: 'l4-node', gpus: 4, labels: { 'gpu-type': 'l4' } }, { name: 'h100-node', gpus: 6, labels: { 'gpu-type': 'h100' } }],
      rewriteCommand: runRealAgent,
      maxGraceMs: 3000,
    });
    store = await openStore({ databaseUrl: database.url, poolSize: 8 });
  });

  after(async () => {
    await controller?.close();
    await kube.close();
    await store.close();
    await nats.dispose();
    await database.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("runs every stage's Jobs with that stage's budget, GPU class and node selector, and decides on the last", { timeout: 180_000 }, async () => {
    const jobs = new Map<string, V1Job>();
    /** The node each Job's pod was bound to, by Job name. */
    const nodes = new Map<string, string>();
    const watch = new Watch(kube.kubeConfig(NAMESPACE));
    const watching = [
      await watch.watch(`/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, {}, (type, job: V1Job) => {
        if (type === 'ADDED') jobs.set(job.metadata!.labels!['autoresearch.dev/run']!, job);
      }, () => {}),
      await watch.watch(`/api/v1/namespaces/${NAMESPACE}/pods`, {}, (_type, pod: V1Pod) => {
        if (pod.spec?.nodeName) nodes.set(pod.metadata!.labels!['job-name']!, pod.spec.nodeName);
      }, () => {}),
    ];
    const scratch = await makeStudyFolder({});
    dirs.push(scratch);
    const seen = join(scratch, 'seen');
    const dir = await makeStudyFolder({ 'study.yaml': SPEC, 'train.js': script(seen) });
    dirs.push(dir);
    const loaded = await loadStudyFolder(dir);
    const study: StudyRow = await createStudy(store, { spec: loaded.spec, specHash: loaded.specHash, files: loaded.files, sourceDir: dir });
    const env = readControllerEnv({
      NATS_URL: nats.url, AUTORESEARCH_EXECUTOR: 'kubernetes', AUTORESEARCH_K8S_NAMESPACE: NAMESPACE, AUTORESEARCH_K8S_START_TIMEOUT_SECONDS: '120',
      AUTORESEARCH_CONTROLLER_ID: 'controller-a', PATH: process.env.PATH,
    });
    controller = await startController({
      store, env, log, host: '127.0.0.1', port: 0, cpuSlots: undefined, auth: 'tokens', transport: 'nats', studyIds: [study.id], kubeConfig: kube.kubeConfig(NAMESPACE),
    });
    const deadline = Date.now() + 150_000;
    let ended = await store.getStudy(study.id);
    while (ended?.status !== 'completed' && ended?.status !== 'stopped') {
      assert.ok(Date.now() < deadline, `study is ${ended?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      ended = await store.getStudy(study.id);
    }
    assert.equal(ended.status, 'completed', ended.stopReason ?? '');

    const experiments = (await store.listExperiments(study.id, { limit: 100 })).sort((a, b) => a.number - b.number);
    assert.deepEqual(experiments.map((e) => e.outcome).sort(), ['baseline', 'keep', 'screened-out']);
    const runs = (await Promise.all(experiments.map((e) => store.listRuns(e.id)))).flat();
    assert.ok(runs.every((r) => r.status === 'succeeded' && r.attempt === 1), JSON.stringify(runs.map((r) => [r.stage, r.status, r.reason])));
    // The baseline's 3 + 3, the kept candidate's 1 + 2, the screened-out one's 1 alone.
    assert.deepEqual(runs.map((r) => r.stage).sort(), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const screenedOut = experiments.find((e) => e.outcome === 'screened-out')!;
    assert.deepEqual(runs.filter((r) => r.experimentId === screenedOut.id).map((r) => r.stage), [0]);

    for (const run of runs) {
      const job = jobs.get(run.id);
      assert.ok(job, `a Job for run ${run.id}`);
      const experiment = experiments.find((e) => e.id === run.experimentId)!;
      const expected = buildRunJob({
        run: { runId: run.id, attempt: run.attempt, studyId: study.id, branchIndex: 0, experimentNumber: experiment.number },
        spec: study.spec, stage: run.stage, namespace: NAMESPACE, controllerUrl: controller.url, natsUrl: nats.url, tokenSecretName: runTokenSecretName(run.id, run.attempt),
      });
      assertContains(job, { metadata: { labels: expected.metadata!.labels }, spec: expected.spec });
      const pod = job.spec!.template.spec!;
      const container = pod.containers[0]!;
      if (run.stage === 0) {
        assert.equal(job.metadata!.labels![STAGE_LABEL], 'screen');
        assert.equal(job.spec!.activeDeadlineSeconds, 7 + 2 + 300, 'the screen budget + grace + startup allowance');
        assert.deepEqual(pod.nodeSelector, { 'gpu-type': 'l4' });
        assert.deepEqual(container.resources, { requests: { 'nvidia.com/gpu': '1' }, limits: { memory: '8Gi', 'nvidia.com/gpu': '1' } });
      } else {
        assert.equal(job.metadata!.labels![STAGE_LABEL], 'full');
        assert.equal(job.spec!.activeDeadlineSeconds, 20 + 2 + 300, 'the full budget + grace + startup allowance');
        assert.deepEqual(pod.nodeSelector, { 'gpu-type': 'h100' });
        assert.deepEqual(container.resources, { requests: { 'nvidia.com/gpu': '2' }, limits: { memory: '16Gi', 'nvidia.com/gpu': '2' } });
        assert.equal(pod.tolerations?.[0]?.value, 'h100');
      }
      assert.equal(nodes.get(job.metadata!.name!), run.stage === 0 ? 'l4-node' : 'h100-node', 'cheap GPUs screen, expensive GPUs confirm');
    }
    // Each agent gave its experiment the stage's own budget.
    const told = (await readFile(seen, 'utf8')).trim().split('\n').map((line) => line.split(' '));
    assert.deepEqual(told.map(([stage, budget]) => `${stage}:${budget}`).sort(), [...Array(5).fill('full:20'), ...Array(5).fill('screen:7')]);
    for (const stop of watching) stop.abort();
  });
});
