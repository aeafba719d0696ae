// The test Kubernetes API server, driven only through @kubernetes/client-node, the way the controller
// drives a real cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, BatchV1Api, CoreV1Api, Watch, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { buildRunJob, buildRunTokenSecret } from '../../services/controller/src/executors/kubernetes/build-job.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { FAULT_LABEL, startKubeApiServer, type KubeApiServer } from '../support/kube-api/index.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

const NAMESPACE = 'autoresearch';

function shellJob(name: string, script: string, extra: { labels?: Record<string, string>; activeDeadlineSeconds?: number; gpus?: number } = {}): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'kube-api-test', ...extra.labels } },
    spec: {
      backoffLimit: 0,
      ...(extra.activeDeadlineSeconds ? { activeDeadlineSeconds: extra.activeDeadlineSeconds } : {}),
      template: {
        metadata: { labels: { app: 'kube-api-test', ...extra.labels } },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'agent',
              image: 'example.com/trainer:1.0',
              command: ['sh', '-c', script],
              env: [
                { name: 'GREETING', value: 'hello' },
                { name: 'AUTORESEARCH_RUN_TOKEN', valueFrom: { secretKeyRef: { name: 'run-token', key: 'token' } } },
              ],
              ...(extra.gpus ? { resources: { limits: { 'nvidia.com/gpu': String(extra.gpus) }, requests: { 'nvidia.com/gpu': String(extra.gpus) } } } : {}),
            },
          ],
        },
      },
    },
  };
}

async function expectApiError(promise: Promise<unknown>, code: number, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${String(error)}`);
    assert.equal(error.code, code);
    const status = JSON.parse(String(error.body)) as { kind: string; reason: string; code: number };
    assert.equal(status.kind, 'Status');
    assert.equal(status.reason, reason);
    assert.equal(status.code, code);
    return true;
  });
}

/** Watches `path` until `done` holds for an event's object; resolves with that object. */
function watchUntil<T>(kube: KubeApiServer, path: string, query: Record<string, string>, done: (type: string, object: T) => boolean, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    const timer = setTimeout(() => {
      controller?.abort();
      reject(new Error(`watch on ${path} timed out`));
    }, timeoutMs);
    new Watch(kube.kubeConfig())
      .watch(
        path,
        query,
        (type, object: T) => {
          if (!done(type, object)) return;
          clearTimeout(timer);
          controller?.abort();
          resolve(object);
        },
        () => {},
      )
      .then((c) => (controller = c), reject);
  });
}

const jobsPath = `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`;
const podsPath = `/api/v1/namespaces/${NAMESPACE}/pods`;
const conditionOf = (job: V1Job, type: string) => job.status?.conditions?.find((condition) => condition.type === type && condition.status === 'True');

describe('kube-api test server', () => {
  let kube: KubeApiServer;
  let batch: BatchV1Api;
  let core: CoreV1Api;

  before(async () => {
    kube = await startKubeApiServer({ nodes: [{ name: 'gpu-node', gpus: 2 }], faultAfterMs: 150 });
    batch = kube.kubeConfig().makeApiClient(BatchV1Api);
    core = kube.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name: 'run-token' }, stringData: { token: 's3cret' } } });
  });

  after(async () => {
    await kube.close();
  });

  it('runs a Job to Complete, with its pod, log and secret-backed env', async () => {
    const completed = watchUntil<V1Job>(kube, jobsPath, { fieldSelector: 'metadata.name=hello' }, (_type, job) => Boolean(conditionOf(job, 'Complete')));
    const created = await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('hello', 'echo hello; echo "token=$AUTORESEARCH_RUN_TOKEN"; exit 0') });
    assert.ok(created.metadata?.uid);
    assert.ok(created.metadata?.resourceVersion);
    assert.ok(created.metadata?.creationTimestamp);

    const job = await completed;
    assert.equal(job.status?.succeeded, 1);
    assert.ok(job.status?.startTime && job.status.completionTime);

    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job-name=hello' });
    assert.equal(pods.kind, 'PodList');
    assert.equal(pods.items.length, 1);
    const pod = pods.items[0]!;
    assert.match(pod.metadata!.name!, /^hello-[a-z0-9]{5}$/);
    assert.equal(pod.metadata?.labels?.['controller-uid'], created.metadata.uid);
    assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, created.metadata.uid);
    assert.equal(pod.status?.phase, 'Succeeded');
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');

    const log = await core.readNamespacedPodLog({ namespace: NAMESPACE, name: pod.metadata!.name! });
    assert.equal(log, 'hello\ntoken=s3cret\n');

    const events = await core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: `involvedObject.name=${pod.metadata!.name}` });
    assert.ok(events.items.some((event) => event.reason === 'Scheduled'));
  });

  it('answers AlreadyExists, NotFound and Invalid with Status errors', async () => {
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('twice', 'exit 0') });
    await expectApiError(batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('twice', 'exit 0') }), 409, 'AlreadyExists');
    await expectApiError(batch.readNamespacedJob({ namespace: NAMESPACE, name: 'never-created' }), 404, 'NotFound');
    const nameless = shellJob('x', 'exit 0');
    delete nameless.metadata!.name;
    await expectApiError(batch.createNamespacedJob({ namespace: NAMESPACE, body: nameless }), 422, 'Invalid');
  });

  it('lists by label selector, equality and set-based', async () => {
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('team-a', 'exit 0', { labels: { team: 'a' } }) });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('team-b', 'exit 0', { labels: { team: 'b' } }) });
    const names = async (labelSelector: string) =>
      (await batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector })).items.map((job) => job.metadata!.name).sort();
    assert.deepEqual(await names('team=a'), ['team-a']);
    assert.deepEqual(await names('team in (a,b)'), ['team-a', 'team-b']);
    assert.deepEqual(await names('team,team notin (a)'), ['team-b']);
    const list = await batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: 'team' });
    assert.equal(list.kind, 'JobList');
    assert.ok(Number(list.metadata?.resourceVersion) > 0);
  });

  it('deletes a Job with Background propagation, and its pods with it', async () => {
    const running = watchUntil<V1Pod>(kube, podsPath, { labelSelector: 'job-name=doomed' }, (_type, pod) => pod.status?.phase === 'Running');
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('doomed', 'sleep 30') });
    const pod = await running;
    const gone = watchUntil<V1Pod>(kube, podsPath, { labelSelector: 'job-name=doomed', resourceVersion: pod.metadata!.resourceVersion! }, (type) => type === 'DELETED');
    await batch.deleteNamespacedJob({ namespace: NAMESPACE, name: 'doomed', propagationPolicy: 'Background' });
    await gone;
    await expectApiError(batch.readNamespacedJob({ namespace: NAMESPACE, name: 'doomed' }), 404, 'NotFound');
    await expectApiError(core.readNamespacedPod({ namespace: NAMESPACE, name: pod.metadata!.name! }), 404, 'NotFound');
  });

  it('resumes a watch from a resourceVersion, seeing only later events', async () => {
    const first = await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('before-mark', 'exit 0', { labels: { mark: 'resume' } }) });
    const mark = first.metadata!.resourceVersion!;
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('after-mark', 'exit 0', { labels: { mark: 'resume' } }) });
    const seen: string[] = [];
    await watchUntil<V1Job>(kube, jobsPath, { labelSelector: 'mark=resume', resourceVersion: mark }, (type, job) => {
      seen.push(`${type} ${job.metadata?.name}`);
      return job.metadata?.name === 'after-mark' && type === 'ADDED';
    });
    assert.ok(!seen.includes('ADDED before-mark'), `saw ${seen.join(', ')}`);
    assert.ok(seen.includes('ADDED after-mark'));
  });

  it('reports an expired resourceVersion as an ERROR event with a 410 Status', async () => {
    const small = await startKubeApiServer({ historyLimit: 2, nodes: [] });
    try {
      const coreSmall = small.kubeConfig().makeApiClient(CoreV1Api);
      for (const name of ['a', 'b', 'c', 'd']) await coreSmall.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name }, data: {} } });
      const error = await watchUntil<{ kind: string; code: number; reason: string }>(small, `/api/v1/namespaces/${NAMESPACE}/secrets`, { resourceVersion: '1' }, (type) => type === 'ERROR');
      assert.equal(error.kind, 'Status');
      assert.equal(error.code, 410);
      assert.equal(error.reason, 'Expired');
    } finally {
      await small.close();
    }
  });

  it('injects OOMKilled: the container dies with 137 and the Job fails', async () => {
    kube.inject.nextJobs(1, 'oomKilled');
    const failed = watchUntil<V1Job>(kube, jobsPath, { fieldSelector: 'metadata.name=hungry' }, (_type, job) => Boolean(conditionOf(job, 'Failed')));
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('hungry', 'sleep 30') });
    const job = await failed;
    assert.equal(conditionOf(job, 'Failed')?.reason, 'BackoffLimitExceeded');
    const [pod] = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job-name=hungry' })).items;
    const terminated = pod?.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(pod?.status?.phase, 'Failed');
    assert.equal(terminated?.reason, 'OOMKilled');
    assert.equal(terminated?.exitCode, 137);
  });

  it('injects Unschedulable by label: the pod stays Pending with a FailedScheduling event', async () => {
    const pending = watchUntil<V1Pod>(kube, podsPath, { labelSelector: 'job-name=stuck' }, (_type, pod) =>
      Boolean(pod.status?.conditions?.some((condition) => condition.type === 'PodScheduled' && condition.reason === 'Unschedulable')),
    );
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('stuck', 'exit 0', { labels: { [FAULT_LABEL]: 'unschedulable' } }) });
    const pod = await pending;
    assert.equal(pod.status?.phase, 'Pending');
    const events = await core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: `involvedObject.name=${pod.metadata!.name}` });
    assert.ok(events.items.some((event) => event.reason === 'FailedScheduling' && event.type === 'Warning'));
  });

  it('leaves a pod asking for more GPUs than any node has Unschedulable', async () => {
    const nodes = await core.listNode();
    assert.equal(nodes.items[0]?.status?.allocatable?.['nvidia.com/gpu'], '2');
    const pending = watchUntil<V1Pod>(kube, podsPath, { labelSelector: 'job-name=greedy' }, (_type, pod) =>
      Boolean(pod.status?.conditions?.some((condition) => condition.reason === 'Unschedulable')),
    );
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('greedy', 'exit 0', { gpus: 4 }) });
    const pod = await pending;
    assert.match(pod.status?.conditions?.[0]?.message ?? '', /Insufficient nvidia\.com\/gpu/);
  });

  it('ends a Job past activeDeadlineSeconds with DeadlineExceeded', async () => {
    const failed = watchUntil<V1Job>(kube, jobsPath, { fieldSelector: 'metadata.name=sleepy' }, (_type, job) => Boolean(conditionOf(job, 'Failed')));
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: shellJob('sleepy', 'sleep 60', { activeDeadlineSeconds: 1 }) });
    const job = await failed;
    assert.equal(conditionOf(job, 'Failed')?.reason, 'DeadlineExceeded');
    assert.equal(job.status?.failed, 1);
    // Resuming from the Job's version replays the pod's deletion even if it happened before this watch.
    await watchUntil<V1Pod>(kube, podsPath, { labelSelector: 'job-name=sleepy', resourceVersion: job.metadata!.resourceVersion! }, (type) => type === 'DELETED');
  });

  it('runs the Job buildRunJob makes, with the agent command rewritten to a local one', async () => {
    const raw = parse(SURROGATE_SPEC) as Record<string, any>;
    raw.run = { ...raw.run, budgetSeconds: 60, kubernetes: { image: 'ghcr.io/acme/trainer:1.0', gpus: 1 } };
    const run = { runId: '3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f', attempt: 0, studyId: 'a1b2c3d4-0000-4000-8000-000000000001', branchIndex: 0, experimentNumber: 1 };
    const secret = buildRunTokenSecret({ runId: run.runId, attempt: 0, token: 'ar_run_token', namespace: NAMESPACE });
    const body = buildRunJob({
      run,
      spec: validateStudySpec(raw),
      namespace: NAMESPACE,
      controllerUrl: 'http://controller:8080',
      natsUrl: 'nats://nats:4222',
      tokenSecretName: secret.metadata!.name!,
    });
    const local = await startKubeApiServer({
      // The image's `autoresearch agent` becomes a shell that shows what the agent would have been given.
      rewriteCommand: (container) => ({ command: ['sh', '-c', 'echo "$0 $1 $2 $AUTORESEARCH_RUN_TOKEN"', ...(container.command ?? []).slice(1, 4)] }),
    });
    try {
      const localBatch = local.kubeConfig().makeApiClient(BatchV1Api);
      const localCore = local.kubeConfig().makeApiClient(CoreV1Api);
      await localCore.createNamespacedSecret({ namespace: NAMESPACE, body: secret });
      const name = body.metadata!.name!;
      const completed = watchUntil<V1Job>(local, jobsPath, { fieldSelector: `metadata.name=${name}` }, (_type, job) => Boolean(conditionOf(job, 'Complete')));
      await localBatch.createNamespacedJob({ namespace: NAMESPACE, body });
      await completed;
      const [pod] = (await localCore.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `job-name=${name}` })).items;
      assert.equal(pod?.spec?.nodeName, 'node-1');
      const log = await localCore.readNamespacedPodLog({ namespace: NAMESPACE, name: pod!.metadata!.name! });
      assert.equal(log, `agent --run-id ${run.runId} ar_run_token\n`);
    } finally {
      await local.close();
    }
  });
});
