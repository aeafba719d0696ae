// What the Kubernetes executor reads off the cluster: a run's state from its Job and pod, the size of the
// GPU pool from the nodes, and the API calls that must survive a flaky server. The objects here are
// written by hand the way a real API server reports them, so each fault the cluster can deal a run is
// pinned to the verdict the scheduler will act on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException, type V1Job, type V1Node, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { allocatableGpus, podGpus } from '../../services/controller/src/executors/kubernetes/gpu-pool.js';
import { describeKubeError, kubeCall, KubeCallError } from '../../services/controller/src/executors/kubernetes/kube-calls.js';
import { observeRun, sameProblem, type SeenPod } from '../../services/controller/src/executors/kubernetes/observe-run.js';

const JOB_NAME = 'ar-run-3f2a9c1e-1';

/** A Job as the API server reports it: the deadline the builder set, and whatever conditions it has reached. */
function job(conditions: { type: string; status: string; reason?: string; message?: string }[] = [], gpus?: string): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: JOB_NAME, namespace: 'autoresearch-experiments' },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 630,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{
            name: 'agent',
            image: 'ghcr.io/acme/trainer:1.0',
            resources: gpus === undefined ? { limits: { memory: '64Gi' } } : { limits: { memory: '64Gi', 'nvidia.com/gpu': gpus } },
          }],
        },
      },
    },
    status: conditions.length === 0 ? { active: 1 } : { conditions },
  };
}

type PodStatus = NonNullable<V1Pod['status']>;

/** The Job's pod with the given status; its spec carries the memory limit an OOM verdict quotes. */
function pod(status: PodStatus, deleted = false): SeenPod {
  return {
    deleted,
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${JOB_NAME}-x7k2p`, namespace: 'autoresearch-experiments', labels: { 'job-name': JOB_NAME } },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'agent', image: 'ghcr.io/acme/trainer:1.0', resources: { limits: { memory: '64Gi', 'nvidia.com/gpu': '1' } } }],
      },
      status,
    },
  };
}

type ContainerState = NonNullable<NonNullable<PodStatus['containerStatuses']>[number]['state']>;

function agentStatus(state: ContainerState) {
  return [{ name: 'agent', image: 'ghcr.io/acme/trainer:1.0', imageID: '', ready: false, restartCount: 0, state }];
}

const scheduled: V1PodCondition = { type: 'PodScheduled', status: 'True' };

function waiting(reason: string, message?: string): SeenPod {
  return pod({ phase: 'Pending', conditions: [scheduled], containerStatuses: agentStatus({ waiting: { reason, message } }) });
}

describe('observeRun', () => {
  describe('runs that ended', () => {
    it('calls an OOM-killed agent crashed, quoting the memory limit it ran into', () => {
      const seen = pod({
        phase: 'Failed',
        containerStatuses: agentStatus({ terminated: { exitCode: 137, reason: 'OOMKilled' } }),
      });
      const observed = observeRun(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]), seen);
      assert.ok(observed.phase === 'ended', `expected ended, got ${observed.phase}`);
      assert.equal(observed.exitCode, 137);
      assert.equal(observed.signal, 'SIGKILL');
      assert.ok(observed.verdict?.status === 'crashed');
      assert.match(observed.verdict.reason, /^OOM/);
      assert.match(observed.verdict.reason, /limit 64Gi/);
    });

    // The node, not the experiment, ended these runs: the run must be tried again, not judged.
    for (const [why, status] of [
      ['NodeLost', { phase: 'Failed', reason: 'NodeLost', message: 'Node gpu-7 which was running pod is unresponsive' }],
      ['Evicted', { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' }],
      ['a DisruptionTarget condition', {
        phase: 'Failed',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: 'preempted by a higher-priority pod' }],
        containerStatuses: agentStatus({ terminated: { exitCode: 143, reason: 'Error' } }),
      }],
    ] as [string, PodStatus][]) {
      it(`calls a pod that failed with ${why} lost, to be retried`, () => {
        const observed = observeRun(job(), pod(status));
        assert.ok(observed.phase === 'ended', `expected ended, got ${observed.phase}`);
        assert.ok(observed.verdict?.status === 'lost', `expected lost, got ${observed.verdict?.status}`);
        assert.equal(observed.verdict.retry, true);
        assert.match(observed.verdict.reason, new RegExp(status.reason ?? 'PreemptionByScheduler'));
      });
    }

    it('leaves the verdict of a Job that completed to the agent, with exit code 0', () => {
      assert.deepEqual(observeRun(job([{ type: 'Complete', status: 'True' }]), undefined), { phase: 'ended', exitCode: 0, signal: null });
      const succeeded = pod({ phase: 'Succeeded', containerStatuses: agentStatus({ terminated: { exitCode: 0, reason: 'Completed' } }) });
      assert.deepEqual(observeRun(job(), succeeded), { phase: 'ended', exitCode: 0, signal: null });
    });

    // Whether the agent reported before it exited is the scheduler's question, not the cluster's.
    it('reports an agent that exited with an error as ended with its exit code and no verdict', () => {
      const failed = pod({ phase: 'Failed', containerStatuses: agentStatus({ terminated: { exitCode: 1, reason: 'Error' } }) });
      const observed = observeRun(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]), failed);
      assert.deepEqual(observed, { phase: 'ended', exitCode: 1, signal: null });
    });

    it('calls a Job past its deadline with no pod left lost, naming activeDeadlineSeconds', () => {
      const observed = observeRun(
        job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]),
        undefined,
      );
      assert.ok(observed.phase === 'ended');
      assert.equal(observed.exitCode, null);
      assert.ok(observed.verdict?.status === 'lost');
      assert.equal(observed.verdict.retry, true);
      assert.match(observed.verdict.reason, /activeDeadlineSeconds \(630 s\)/);
    });

    it('names the deadline, not the SIGTERM it caused, when the pod of a Job past its deadline is still there', () => {
      const killed = pod({ phase: 'Failed', containerStatuses: agentStatus({ terminated: { exitCode: 143, reason: 'Error' } }) });
      const observed = observeRun(job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }]), killed);
      assert.ok(observed.phase === 'ended' && observed.verdict?.status === 'lost');
      assert.equal(observed.exitCode, 143);
      assert.match(observed.verdict.reason, /^DeadlineExceeded: the Job ran past its activeDeadlineSeconds \(630 s\)/);
    });

    // A drain or kubectl delete removes the pod before any container state says it ended.
    it('calls a pod seen deleted while it ran lost, to be retried', () => {
      const deleted = pod({ phase: 'Running', conditions: [scheduled], containerStatuses: agentStatus({ running: { startedAt: new Date() } }) }, true);
      const observed = observeRun(job(), deleted);
      assert.ok(observed.phase === 'ended');
      assert.ok(observed.verdict?.status === 'lost');
      assert.equal(observed.verdict.retry, true);
      assert.match(observed.verdict.reason, /deleted/);
    });
  });

  describe('runs still starting', () => {
    it('reports a pod no node can take as starting with the problem Unschedulable', () => {
      const message = '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.';
      const unschedulable = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
      assert.deepEqual(observeRun(job(), unschedulable), { phase: 'starting', problem: { reason: 'Unschedulable', message } });
    });

    // These end in nothing if left alone: the kubelet backs off forever, so the start timeout must see them.
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError']) {
      it(`reports a container waiting in ${reason} as starting with that problem`, () => {
        const message = `${reason}: something the author must fix`;
        assert.deepEqual(observeRun(job(), waiting(reason, message)), { phase: 'starting', problem: { reason, message } });
      });
    }

    it('reports a container being created as starting without a problem', () => {
      assert.deepEqual(observeRun(job(), waiting('ContainerCreating')), { phase: 'starting' });
    });

    it('reports a Job whose pod the watch has not seen yet as starting', () => {
      assert.deepEqual(observeRun(job(), undefined), { phase: 'starting' });
    });
  });

  it('reports a running pod as running', () => {
    const running = pod({ phase: 'Running', conditions: [scheduled], containerStatuses: agentStatus({ running: { startedAt: new Date() } }) });
    assert.deepEqual(observeRun(job(), running), { phase: 'running' });
  });
});

describe('sameProblem', () => {
  // The kubelet flips between the two while it backs off; the start timeout must not restart each time.
  it('treats ErrImagePull and ImagePullBackOff as one problem', () => {
    assert.equal(sameProblem({ reason: 'ErrImagePull', message: 'a' }, { reason: 'ImagePullBackOff', message: 'b' }), true);
    assert.equal(sameProblem({ reason: 'ImagePullBackOff', message: 'a' }, { reason: 'ErrImagePull', message: 'a' }), true);
  });

  it('tells different problems apart', () => {
    assert.equal(sameProblem({ reason: 'Unschedulable', message: 'a' }, { reason: 'ImagePullBackOff', message: 'a' }), false);
    assert.equal(sameProblem({ reason: 'Unschedulable', message: 'a' }, { reason: 'Unschedulable', message: 'b' }), true);
  });
});

describe('allocatableGpus', () => {
  function node(name: string, allocatable: Record<string, string>, options: { ready?: boolean; unschedulable?: boolean } = {}): V1Node {
    return {
      metadata: { name },
      spec: options.unschedulable ? { unschedulable: true } : {},
      status: {
        allocatable: { cpu: '64', memory: '512Gi', ...allocatable },
        conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
      },
    };
  }

  it('sums the GPUs of Ready, schedulable nodes only', () => {
    const nodes = [
      node('gpu-1', { 'nvidia.com/gpu': '8' }),
      node('gpu-2', { 'nvidia.com/gpu': '4' }),
      node('gpu-notready', { 'nvidia.com/gpu': '8' }, { ready: false }),
      node('gpu-cordoned', { 'nvidia.com/gpu': '8' }, { unschedulable: true }),
      node('cpu-1', {}),
    ];
    assert.equal(allocatableGpus(nodes, 'nvidia.com/gpu'), 12);
    assert.equal(allocatableGpus([], 'nvidia.com/gpu'), 0);
  });

  it('counts the configured resource, not nvidia.com/gpu', () => {
    const nodes = [node('amd-1', { 'amd.com/gpu': '2' }), node('nv-1', { 'nvidia.com/gpu': '8' })];
    assert.equal(allocatableGpus(nodes, 'amd.com/gpu'), 2);
  });
});

describe('podGpus', () => {
  it('reads the GPU limit of the agent container, from a pod or a Job\'s template', () => {
    assert.equal(podGpus(job([], '4').spec!.template.spec, 'nvidia.com/gpu'), 4);
    assert.equal(podGpus(job([], '1').spec!.template.spec, 'nvidia.com/gpu'), 1);
    assert.equal(podGpus(pod({ phase: 'Running' }).pod.spec, 'nvidia.com/gpu'), 1);
  });

  // A CPU-only run still takes a place in the pool, or the pool would not bound it.
  it('counts at least one for a container without a GPU limit, or no spec at all', () => {
    assert.equal(podGpus(job().spec!.template.spec, 'nvidia.com/gpu'), 1);
    assert.equal(podGpus(job([], '4').spec!.template.spec, 'amd.com/gpu'), 1);
    assert.equal(podGpus(undefined, 'nvidia.com/gpu'), 1);
  });
});

describe('kubeCall', () => {
  const FAST = { backoffMs: [1, 1] };
  const unavailable = () => new ApiException(503, 'Service Unavailable', JSON.stringify({ kind: 'Status', reason: 'ServiceUnavailable', message: 'etcdserver: leader changed' }), {});
  const forbidden = () =>
    new ApiException(
      403,
      'Forbidden',
      JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'jobs.batch is forbidden: User "system:serviceaccount:ar:controller" cannot create resource "jobs"' }),
      {},
    );

  /** A call that fails with each error in turn, then returns `value`; counts its tries. */
  function flaky<T>(errors: unknown[], value: T) {
    let tries = 0;
    return {
      get tries() {
        return tries;
      },
      call: async () => {
        tries += 1;
        if (tries <= errors.length) throw errors[tries - 1];
        return value;
      },
    };
  }

  it('retries a 503 and returns what the next try gets', async () => {
    const call = flaky([unavailable()], 'created');
    assert.equal(await kubeCall('create Job', call.call, FAST), 'created');
    assert.equal(call.tries, 2);
  });

  it('gives up after the backoff list with a transient error that counts the tries', async () => {
    const call = flaky([unavailable(), unavailable(), unavailable(), unavailable()], 'never');
    await assert.rejects(kubeCall('create Job', call.call, FAST), (error: unknown) => {
      assert.ok(error instanceof KubeCallError);
      assert.equal(error.transient, true);
      assert.match(error.message, /^could not create Job: 503 ServiceUnavailable: etcdserver: leader changed/);
      assert.match(error.message, /\(3 tries\)/);
      return true;
    });
    assert.equal(call.tries, 3);
  });

  // Trying a refusal again only delays the error the author needs to see.
  it('fails at once on a 403, with the API server\'s own message', async () => {
    const call = flaky([forbidden()], 'never');
    await assert.rejects(kubeCall('create Job', call.call, FAST), (error: unknown) => {
      assert.ok(error instanceof KubeCallError);
      assert.equal(error.transient, false);
      assert.match(error.message, /403 Forbidden: jobs\.batch is forbidden: User/);
      assert.doesNotMatch(error.message, /tries/);
      return true;
    });
    assert.equal(call.tries, 1);
  });

  // An earlier try that timed out may have gone through; a delete may find the object already gone.
  it('takes 409 as success with alreadyExistsOk and 404 with notFoundOk', async () => {
    const conflict = new ApiException(409, 'Conflict', JSON.stringify({ kind: 'Status', reason: 'AlreadyExists', message: 'jobs.batch "x" already exists' }), {});
    const missing = new ApiException(404, 'Not Found', JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'jobs.batch "x" not found' }), {});
    assert.equal(await kubeCall('create Job', flaky([conflict], 'x').call, { ...FAST, alreadyExistsOk: true }), undefined);
    assert.equal(await kubeCall('delete Job', flaky([missing], 'x').call, { ...FAST, notFoundOk: true }), undefined);
    await assert.rejects(kubeCall('create Job', flaky([conflict], 'x').call, FAST), (error: unknown) => {
      assert.ok(error instanceof KubeCallError);
      assert.equal(error.transient, false);
      assert.match(error.message, /409 AlreadyExists: jobs\.batch "x" already exists/);
      return true;
    });
  });

  it('counts a dropped connection as transient', async () => {
    const reset = Object.assign(new Error('connect ECONNREFUSED 10.96.0.1:443'), { code: 'ECONNREFUSED' });
    const call = flaky([reset], 'listed');
    assert.equal(await kubeCall('list Jobs', call.call, FAST), 'listed');
    await assert.rejects(kubeCall('list Jobs', flaky([reset, reset, reset], 'never').call, FAST), (error: unknown) => {
      assert.ok(error instanceof KubeCallError);
      assert.equal(error.transient, true);
      assert.equal(error.message, 'could not list Jobs: connect ECONNREFUSED 10.96.0.1:443 (3 tries)');
      return true;
    });
  });
});

describe('describeKubeError', () => {
  it('falls back to the HTTP code when the body is not a Status', () => {
    assert.equal(describeKubeError(new ApiException(502, 'Bad Gateway', '<html>bad gateway</html>', {})), 'HTTP 502');
    assert.equal(describeKubeError(new ApiException(500, 'Internal', JSON.stringify({ message: 'boom' }), {})), '500: boom');
    assert.equal(describeKubeError('a string'), 'a string');
  });
});
