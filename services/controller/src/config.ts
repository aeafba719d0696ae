// The controller's configuration: read from the environment once, at boot, validated, and passed
// down. No other file reads process.env.
import { hostname } from 'node:os';

export interface ControllerEnv {
  databaseUrl: string | undefined;
  /** NATS with JetStream (NATS_URL): agents then report over NATS instead of the child-process channel. */
  natsUrl: string | undefined;
  /** A running run whose agent has been silent this long is declared lost (AUTORESEARCH_HEARTBEAT_TIMEOUT_SECONDS). */
  heartbeatTimeoutSeconds: number;
  /** How many times a lost run is run again before it is recorded as lost (AUTORESEARCH_LOST_RETRIES). */
  lostRetries: number;
  /** This controller's name on the runs it launches, stable across restarts (AUTORESEARCH_CONTROLLER_ID). */
  controllerId: string;
  cudaVisibleDevices: string | undefined;
  logLevel: string;
  /** What an agent process inherits from the controller's environment; nothing else crosses over. */
  agentBaseEnv: Record<string, string>;
  /** Embedded mode forks each slot's next agent ahead of its run (AUTORESEARCH_WARM_AGENTS=1, the default; 0 turns it off). */
  warmAgents: boolean;
  /** Where runs execute (AUTORESEARCH_EXECUTOR, or `serve --executor`): processes here, or Kubernetes Jobs. */
  executor: 'local' | 'kubernetes';
  kubernetes: KubernetesSettings;
  /** The language-model mutator's API: ANTHROPIC_API_KEY (from a Kubernetes Secret in a cluster) and ANTHROPIC_BASE_URL. */
  anthropic: {
    apiKey: string | undefined;
    baseUrl: string | undefined;
    /** How long transient model failures are retried within one proposal (AUTORESEARCH_MODEL_RETRY_SECONDS). */
    retrySeconds: number;
    /** How long a study whose model is down waits before trying again, doubling (AUTORESEARCH_MODEL_PAUSE_SECONDS). */
    pauseSeconds: number;
  };
}

/** The Kubernetes executor's settings; checked whatever the executor, so a typo fails at boot. */
export interface KubernetesSettings {
  /** Where run Jobs go (AUTORESEARCH_K8S_NAMESPACE). */
  namespace: string;
  /** A kubeconfig file (KUBECONFIG); without one, the in-cluster config in a pod, else ~/.kube/config. */
  kubeconfig: string | undefined;
  /** Running in a pod (KUBERNETES_SERVICE_HOST is set): use the pod's service account. */
  inCluster: boolean;
  /** GPUs in the pool (AUTORESEARCH_K8S_GPUS); discovered from the nodes' allocatable GPUs when unset. */
  gpus: number | undefined;
  /** The extended resource the pool counts (AUTORESEARCH_K8S_GPU_RESOURCE). */
  gpuResource: string;
  /** A pod unschedulable or failing to pull its image this long has failed to start (AUTORESEARCH_K8S_START_TIMEOUT_SECONDS). */
  startTimeoutSeconds: number;
  /** What a failed start means (AUTORESEARCH_K8S_ON_START_TIMEOUT): run it again (`retry`) or record it lost (`fail`). */
  onStartTimeout: 'retry' | 'fail';
  /** The controller's address as agents in the cluster reach it (AUTORESEARCH_AGENT_CONTROLLER_URL). */
  agentControllerUrl: string | undefined;
  /** NATS as agents in the cluster reach it (AUTORESEARCH_AGENT_NATS_URL; default NATS_URL). */
  agentNatsUrl: string | undefined;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readControllerEnv(env: NodeJS.ProcessEnv = process.env): ControllerEnv {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid URL (expected postgres://user@host:5432/db)');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new ConfigError(`DATABASE_URL must start with postgres:// (got ${url.protocol}//)`);
    }
  }
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${logLevel})`);
  const agentBaseEnv: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = env[key];
    if (value !== undefined) agentBaseEnv[key] = value;
  }
  const natsUrl = env.NATS_URL?.trim() || undefined;
  if (natsUrl !== undefined) {
    for (const server of natsUrl.split(',')) {
      let url: URL;
      try {
        url = new URL(server.trim());
      } catch {
        throw new ConfigError(`NATS_URL is not a valid URL (expected nats://host:4222, got ${server})`);
      }
      if (!['nats:', 'tls:', 'ws:', 'wss:'].includes(url.protocol)) {
        throw new ConfigError(`NATS_URL must start with nats:// (got ${url.protocol}//)`);
      }
    }
  }
  const heartbeatTimeoutSeconds = positiveNumber(env, 'AUTORESEARCH_HEARTBEAT_TIMEOUT_SECONDS', 30);
  const lostRetries = Number(env.AUTORESEARCH_LOST_RETRIES ?? '1');
  if (!Number.isInteger(lostRetries) || lostRetries < 0) {
    throw new ConfigError(`AUTORESEARCH_LOST_RETRIES must be a whole number ≥ 0 (got ${env.AUTORESEARCH_LOST_RETRIES})`);
  }
  const controllerId = env.AUTORESEARCH_CONTROLLER_ID?.trim() || hostname();
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(controllerId)) {
    throw new ConfigError('AUTORESEARCH_CONTROLLER_ID must be 1 to 100 letters, digits, or _ . : -');
  }
  const warmAgents = env.AUTORESEARCH_WARM_AGENTS?.trim() || '1';
  if (warmAgents !== '0' && warmAgents !== '1') throw new ConfigError(`AUTORESEARCH_WARM_AGENTS must be 0 or 1 (got ${warmAgents})`);
  const executor = env.AUTORESEARCH_EXECUTOR?.trim() || 'local';
  if (executor !== 'local' && executor !== 'kubernetes') {
    throw new ConfigError(`AUTORESEARCH_EXECUTOR must be local or kubernetes (got ${executor})`);
  }
  return {
    databaseUrl, natsUrl, heartbeatTimeoutSeconds, lostRetries, controllerId,
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES, logLevel, agentBaseEnv, warmAgents: warmAgents === '1',
    executor, kubernetes: readKubernetesSettings(env, natsUrl),
    anthropic: {
      apiKey: env.ANTHROPIC_API_KEY?.trim() || undefined,
      baseUrl: optionalUrl(env, 'ANTHROPIC_BASE_URL', ['http:', 'https:']),
      retrySeconds: positiveNumber(env, 'AUTORESEARCH_MODEL_RETRY_SECONDS', 120),
      pauseSeconds: positiveNumber(env, 'AUTORESEARCH_MODEL_PAUSE_SECONDS', 30),
    },
  };
}

function readKubernetesSettings(env: NodeJS.ProcessEnv, natsUrl: string | undefined): KubernetesSettings {
  const namespace = env.AUTORESEARCH_K8S_NAMESPACE?.trim() || 'autoresearch-experiments';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new ConfigError(`AUTORESEARCH_K8S_NAMESPACE must be a DNS-1123 label (lowercase letters, digits and -), got ${namespace}`);
  }
  let gpus: number | undefined;
  const rawGpus = env.AUTORESEARCH_K8S_GPUS?.trim();
  if (rawGpus) {
    gpus = Number(rawGpus);
    if (!Number.isInteger(gpus) || gpus < 1) throw new ConfigError(`AUTORESEARCH_K8S_GPUS must be a whole number ≥ 1 (got ${rawGpus})`);
  }
  const gpuResource = env.AUTORESEARCH_K8S_GPU_RESOURCE?.trim() || 'nvidia.com/gpu';
  if (!/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/.test(gpuResource)) {
    throw new ConfigError(`AUTORESEARCH_K8S_GPU_RESOURCE must be a domain-prefixed resource name like nvidia.com/gpu (got ${gpuResource})`);
  }
  const onStartTimeout = env.AUTORESEARCH_K8S_ON_START_TIMEOUT?.trim() || 'retry';
  if (onStartTimeout !== 'retry' && onStartTimeout !== 'fail') {
    throw new ConfigError(`AUTORESEARCH_K8S_ON_START_TIMEOUT must be retry or fail (got ${onStartTimeout})`);
  }
  const agentControllerUrl = optionalUrl(env, 'AUTORESEARCH_AGENT_CONTROLLER_URL', ['http:', 'https:']);
  const agentNatsUrl = optionalUrl(env, 'AUTORESEARCH_AGENT_NATS_URL', ['nats:', 'tls:', 'ws:', 'wss:']) ?? natsUrl;
  return {
    namespace,
    kubeconfig: env.KUBECONFIG?.trim() || undefined,
    inCluster: Boolean(env.KUBERNETES_SERVICE_HOST),
    gpus,
    gpuResource,
    startTimeoutSeconds: positiveNumber(env, 'AUTORESEARCH_K8S_START_TIMEOUT_SECONDS', 300),
    onStartTimeout,
    agentControllerUrl,
    agentNatsUrl,
  };
}

function optionalUrl(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL (got ${raw})`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${raw})`);
  return raw;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number of seconds (got ${raw})`);
  return value;
}
