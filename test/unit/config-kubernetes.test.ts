// The Kubernetes part of the controller's environment. It is checked whatever the executor, so that a
// typo in a Deployment fails the controller at boot, with the variable and the bad value in the message,
// instead of surfacing as a run that never starts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, readControllerEnv } from '../../services/controller/src/config.js';

/** Throws unless `env` is refused with a ConfigError naming the variable and quoting the bad value. */
function assertRefused(env: NodeJS.ProcessEnv, variable: string, value: string): void {
  assert.throws(
    () => readControllerEnv(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.ok(error.message.includes(variable), `"${error.message}" does not name ${variable}`);
      assert.ok(error.message.includes(value), `"${error.message}" does not quote ${value}`);
      return true;
    },
  );
}

describe('readControllerEnv: Kubernetes settings', () => {
  it('runs locally by default, with the documented Kubernetes defaults', () => {
    const env = readControllerEnv({});
    assert.equal(env.executor, 'local');
    assert.deepEqual(env.kubernetes, {
      namespace: 'autoresearch-experiments',
      kubeconfig: undefined,
      inCluster: false,
      gpus: undefined,
      gpuResource: 'nvidia.com/gpu',
      startTimeoutSeconds: 300,
      onStartTimeout: 'retry',
      agentControllerUrl: undefined,
      agentNatsUrl: undefined,
    });
  });

  it('reads every setting when given', () => {
    const env = readControllerEnv({
      AUTORESEARCH_EXECUTOR: 'kubernetes',
      AUTORESEARCH_K8S_NAMESPACE: 'team-a-runs',
      KUBECONFIG: '/etc/kube/config',
      AUTORESEARCH_K8S_GPUS: '16',
      AUTORESEARCH_K8S_GPU_RESOURCE: 'nvidia.com/mig-1g.10gb',
      AUTORESEARCH_K8S_START_TIMEOUT_SECONDS: '120',
      AUTORESEARCH_K8S_ON_START_TIMEOUT: 'fail',
      AUTORESEARCH_AGENT_CONTROLLER_URL: 'http://autoresearch-controller.autoresearch.svc:8080',
      AUTORESEARCH_AGENT_NATS_URL: 'nats://nats.autoresearch.svc:4222',
    });
    assert.equal(env.executor, 'kubernetes');
    assert.deepEqual(env.kubernetes, {
      namespace: 'team-a-runs',
      kubeconfig: '/etc/kube/config',
      inCluster: false,
      gpus: 16,
      gpuResource: 'nvidia.com/mig-1g.10gb',
      startTimeoutSeconds: 120,
      onStartTimeout: 'fail',
      agentControllerUrl: 'http://autoresearch-controller.autoresearch.svc:8080',
      agentNatsUrl: 'nats://nats.autoresearch.svc:4222',
    });
  });

  // Agents in the cluster usually reach NATS at the address the controller uses; only a split-horizon
  // setup needs its own.
  it('gives agents the controller\'s NATS_URL unless AUTORESEARCH_AGENT_NATS_URL says otherwise', () => {
    assert.equal(readControllerEnv({ NATS_URL: 'nats://nats:4222' }).kubernetes.agentNatsUrl, 'nats://nats:4222');
    assert.equal(
      readControllerEnv({ NATS_URL: 'nats://nats:4222', AUTORESEARCH_AGENT_NATS_URL: 'tls://nats.example.com:4222' }).kubernetes.agentNatsUrl,
      'tls://nats.example.com:4222',
    );
  });

  it('knows it runs in a pod from KUBERNETES_SERVICE_HOST', () => {
    assert.equal(readControllerEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kubernetes.inCluster, true);
    assert.equal(readControllerEnv({ KUBERNETES_SERVICE_HOST: '' }).kubernetes.inCluster, false);
  });

  it('treats blank values as unset', () => {
    const env = readControllerEnv({ AUTORESEARCH_EXECUTOR: ' ', AUTORESEARCH_K8S_GPUS: '', KUBECONFIG: '  ', AUTORESEARCH_K8S_NAMESPACE: '' });
    assert.equal(env.executor, 'local');
    assert.equal(env.kubernetes.gpus, undefined);
    assert.equal(env.kubernetes.kubeconfig, undefined);
    assert.equal(env.kubernetes.namespace, 'autoresearch-experiments');
  });

  describe('refuses a bad value, naming the variable and the value', () => {
    const cases: [variable: string, value: string][] = [
      ['AUTORESEARCH_EXECUTOR', 'docker'],
      ['AUTORESEARCH_K8S_NAMESPACE', 'Bad_NS'],
      ['AUTORESEARCH_K8S_GPUS', '0'],
      ['AUTORESEARCH_K8S_GPUS', '1.5'],
      ['AUTORESEARCH_K8S_GPUS', 'abc'],
      ['AUTORESEARCH_K8S_GPU_RESOURCE', 'gpu'],
      ['AUTORESEARCH_K8S_START_TIMEOUT_SECONDS', '-1'],
      ['AUTORESEARCH_K8S_ON_START_TIMEOUT', 'ignore'],
      ['AUTORESEARCH_AGENT_CONTROLLER_URL', 'not a url'],
      ['AUTORESEARCH_AGENT_CONTROLLER_URL', 'ftp://x'],
      ['AUTORESEARCH_AGENT_NATS_URL', 'http://x'],
    ];
    for (const [variable, value] of cases) {
      it(`${variable}=${value}`, () => assertRefused({ [variable]: value }, variable, value));
    }

    // The executor is local here: a bad Kubernetes setting still fails at boot, not on the day someone
    // switches executors.
    it('even when the executor is local', () => {
      assertRefused({ AUTORESEARCH_EXECUTOR: 'local', AUTORESEARCH_K8S_GPUS: '-2' }, 'AUTORESEARCH_K8S_GPUS', '-2');
    });
  });
});

describe('readControllerEnv: warm agents', () => {
  it('forks agents ahead by default, and not with AUTORESEARCH_WARM_AGENTS=0', () => {
    assert.equal(readControllerEnv({}).warmAgents, true);
    assert.equal(readControllerEnv({ AUTORESEARCH_WARM_AGENTS: '1' }).warmAgents, true);
    assert.equal(readControllerEnv({ AUTORESEARCH_WARM_AGENTS: '0' }).warmAgents, false);
  });

  it('refuses anything but 0 or 1, quoting it', () => {
    assertRefused({ AUTORESEARCH_WARM_AGENTS: 'yes' }, 'AUTORESEARCH_WARM_AGENTS', 'yes');
  });
});
