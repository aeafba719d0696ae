// The Kubernetes objects for one run, as pure functions: the Job that starts its agent and the Secret that
// carries its token. Everything is checked here too, so a spec that skipped schema validation still fails
// with the field's name instead of a Job the API server rejects (or worse, accepts).
import type { V1Container, V1EnvVar, V1Job, V1ResourceRequirements, V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import {
  DNS1123_SUBDOMAIN_PATTERN,
  EXTENDED_RESOURCE_PATTERN,
  GUARD_KILL_GRACE_SECONDS,
  GUARD_TIMEOUT_DEFAULT_SECONDS,
  IMAGE_REFERENCE_PATTERN,
  QUANTITY_PATTERN,
  type GpuClassSpec,
  type KubernetesRunSpec,
  type StudySpec,
} from '../../../../../schemas/src/study-spec.js';
import { isStaged, stageOf } from '../../spec/stages.js';
import { JobSpecError } from './job-spec-error.js';
import { isDns1123Label, runJobName, runTokenSecretName, toLabelValue } from './names.js';

export const RUN_TOKEN_ENV = 'AUTORESEARCH_RUN_TOKEN';
export const RUN_TOKEN_SECRET_KEY = 'token';
/** The run Secret's key for the model API key, present only for skill runs (which call the model). */
export const MODEL_API_KEY_SECRET_KEY = 'anthropic-api-key';
/** Skill runs' pods carry it; the NetworkPolicy lets only them reach the model API. */
export const FLAVOR_LABEL = 'autoresearch.dev/flavor';
/** The run's experiment id, exact (a label value may be cut): any replica's log lines about the Job name it. */
export const EXPERIMENT_ID_ANNOTATION = 'autoresearch.dev/experiment-id';
/** The stage a run's Job runs (spec.stages), by name: `kubectl get jobs -l autoresearch.dev/stage=screen`. */
export const STAGE_LABEL = 'autoresearch.dev/stage';
export const WORK_ROOT = '/work';
export const SHM_PATH = '/dev/shm';
const AGENT_UID = 1000;

export interface RunIdentity {
  runId: string;
  attempt: number;
  studyId: string;
  branchIndex: number;
  experimentNumber: number;
  experimentId?: string;
}

export interface BuildRunJobInput {
  run: RunIdentity;
  /** The study's spec; `run.kubernetes` must be present. */
  spec: StudySpec;
  /** The run's stage (spec.stages, 0-based): its budget and GPU class size the Job. 0 when absent. */
  stage?: number;
  namespace: string;
  controllerUrl: string;
  natsUrl: string;
  /** The Secret (see buildRunTokenSecret) whose `token` key holds the run's bearer token. */
  tokenSecretName: string;
  /** Replaces the agent command, for images that install the agent elsewhere. */
  agentCommand?: string[];
  /** Where a skill run's agent calls the model (ANTHROPIC_BASE_URL), when not the public API. */
  modelApiBaseUrl?: string;
  /**
   * The least startup allowance: the deadline counts from the Job's start, pending and pulling included,
   * so it must outlast the executor's own start timeout or a slow start is killed as a deadline instead.
   */
  minStartupAllowanceSeconds?: number;
}

const IMAGE = new RegExp(IMAGE_REFERENCE_PATTERN);
const QUANTITY = new RegExp(QUANTITY_PATTERN);
const SUBDOMAIN = new RegExp(DNS1123_SUBDOMAIN_PATTERN);
const EXTENDED_RESOURCE = new RegExp(EXTENDED_RESOURCE_PATTERN);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function buildRunJob(input: BuildRunJobInput): V1Job {
  const { run, spec } = input;
  const stage = input.stage ?? 0;
  const k8s = resolveKubernetesRun(spec, stage);
  const name = runJobName(run.runId, run.attempt);
  checkRunIdentity(run, name);
  checkName('namespace', input.namespace, isDns1123Label(input.namespace));
  checkName('tokenSecretName', input.tokenSecretName, SUBDOMAIN.test(input.tokenSecretName));
  checkUrl('controllerUrl', input.controllerUrl);
  checkUrl('natsUrl', input.natsUrl);
  const deadline = activeDeadlineSeconds(spec, Math.max(k8s.startupAllowanceSeconds, Math.ceil(input.minStartupAllowanceSeconds ?? 0)), stage);
  const skillRun = spec.flavor === 'skill';
  const labels = {
    ...runLabels(run),
    ...(skillRun && { [FLAVOR_LABEL]: 'skill' }),
    ...(isStaged(spec) && { [STAGE_LABEL]: toLabelValue(stageOf(spec, stage).name) }),
  };

  const command = input.agentCommand ?? [
    'autoresearch', 'agent',
    '--run-id', run.runId,
    '--controller-url', input.controllerUrl,
    '--transport', 'nats',
    '--nats-url', input.natsUrl,
    '--work-root', WORK_ROOT,
  ];
  if (command.length === 0 || command.some((part) => typeof part !== 'string')) {
    throw new JobSpecError('agentCommand', 'must be a non-empty list of strings');
  }

  const container: V1Container = {
    name: 'agent',
    image: k8s.image,
    imagePullPolicy: 'IfNotPresent',
    command,
    workingDir: WORK_ROOT,
    env: [
      ...containerEnv(spec.run.env ?? {}, input.tokenSecretName),
      ...(skillRun ? modelEnv(input.tokenSecretName, input.modelApiBaseUrl) : []),
    ],
    resources: resources(k8s),
    volumeMounts: volumeMounts(k8s),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      // Writable on purpose: the image is the user's training image, and real training code writes
      // outside /work (pip and Hugging Face caches, Triton and inductor kernels, ~/.cache). The run's own
      // files are on the /work emptyDir anyway, and nothing written survives the pod.
      readOnlyRootFilesystem: false,
    },
  };

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: input.namespace, labels, ...(run.experimentId && { annotations: { [EXPERIMENT_ID_ANNOTATION]: run.experimentId } }) },
    spec: {
      // The controller decides about retries (a new attempt is a new Job); Kubernetes must not.
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds: deadline,
      ttlSecondsAfterFinished: k8s.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          // Service links would hand the agent an environment variable for every Service in the namespace.
          enableServiceLinks: false,
          ...(k8s.serviceAccountName ? { serviceAccountName: k8s.serviceAccountName } : {}),
          // The agent stops its experiment within the grace period, then needs a moment to report.
          terminationGracePeriodSeconds: Math.ceil(spec.run.graceSeconds ?? 30) + 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: AGENT_UID,
            runAsGroup: AGENT_UID,
            fsGroup: AGENT_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container],
          volumes: volumes(k8s),
          ...(k8s.nodeSelector ? { nodeSelector: { ...k8s.nodeSelector } } : {}),
          ...(k8s.tolerations ? { tolerations: structuredClone(k8s.tolerations) } : {}),
          ...(k8s.affinity ? { affinity: structuredClone(k8s.affinity) } : {}),
        },
      },
    },
  };
}

export interface BuildRunTokenSecretInput {
  runId: string;
  attempt: number;
  token: string;
  namespace: string;
  /** The Job it belongs to (once created), so Kubernetes deletes the Secret with the Job. */
  ownerJob?: { name: string; uid: string };
  /** A skill run's model API key, stored beside its token and deleted with it. */
  modelApiKey?: string;
}

export function buildRunTokenSecret(input: BuildRunTokenSecretInput): V1Secret {
  if (typeof input.token !== 'string' || input.token.length === 0) throw new JobSpecError('token', 'must not be empty');
  checkName('namespace', input.namespace, isDns1123Label(input.namespace));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: runTokenSecretName(input.runId, input.attempt),
      namespace: input.namespace,
      labels: {
        'app.kubernetes.io/name': 'autoresearch-agent',
        'app.kubernetes.io/managed-by': 'autoresearch',
        'autoresearch.dev/run': toLabelValue(input.runId),
        'autoresearch.dev/attempt': toLabelValue(input.attempt),
      },
      ...(input.ownerJob
        ? {
            ownerReferences: [
              { apiVersion: 'batch/v1', kind: 'Job', name: input.ownerJob.name, uid: input.ownerJob.uid, blockOwnerDeletion: false },
            ],
          }
        : {}),
    },
    stringData: { [RUN_TOKEN_SECRET_KEY]: input.token, ...(input.modelApiKey && { [MODEL_API_KEY_SECRET_KEY]: input.modelApiKey }) },
  };
}

/**
 * Budget (the stage's, with stages) + grace + the command guards' time + the time to schedule, pull and
 * fetch, in whole seconds.
 */
export function activeDeadlineSeconds(spec: StudySpec, startupAllowanceSeconds: number, stage = 0): number {
  const budget = isStaged(spec) ? stageOf(spec, stage).budgetSeconds : spec.run.budgetSeconds;
  const grace = spec.run.graceSeconds ?? 30;
  if (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0) {
    throw new JobSpecError(isStaged(spec) ? `stages[${stage}].budgetSeconds` : 'run.budgetSeconds', `must be a finite number > 0, got ${String(budget)}`);
  }
  if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0) {
    throw new JobSpecError('run.graceSeconds', `must be a finite number ≥ 0, got ${String(grace)}`);
  }
  // Command guards run in the pod after the command, each for up to its timeout and the SIGKILL grace after it.
  const guards = (spec.guards ?? []).reduce(
    (sum, guard) => (guard.command === undefined ? sum : sum + (guard.timeoutSeconds ?? GUARD_TIMEOUT_DEFAULT_SECONDS) + GUARD_KILL_GRACE_SECONDS),
    0,
  );
  const deadline = Math.ceil(budget + grace + guards + startupAllowanceSeconds);
  if (!Number.isSafeInteger(deadline) || deadline <= 0) {
    throw new JobSpecError('activeDeadlineSeconds', `must be a finite whole number > 0, got ${String(deadline)}`);
  }
  return deadline;
}

export function runLabels(run: RunIdentity): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'autoresearch-agent',
    'app.kubernetes.io/managed-by': 'autoresearch',
    'autoresearch.dev/study': toLabelValue(run.studyId),
    'autoresearch.dev/branch': toLabelValue(run.branchIndex),
    'autoresearch.dev/experiment': toLabelValue(run.experimentNumber),
    'autoresearch.dev/run': toLabelValue(run.runId),
    'autoresearch.dev/attempt': toLabelValue(run.attempt),
  };
}

/**
 * `run.kubernetes` with its defaults filled in and every value checked; for a stage that names a GPU class,
 * with that class's fields in place of the ones it overrides.
 */
export function resolveKubernetesRun(spec: StudySpec, stage = 0): KubernetesRunSpec {
  const resolved = resolveBaseKubernetesRun(spec);
  const className = isStaged(spec) ? stageOf(spec, stage).gpuClass : undefined;
  if (className === undefined) return resolved;
  const gpuClass = resolved.gpuClasses?.[className] as Partial<GpuClassSpec> | undefined;
  if (!gpuClass || typeof gpuClass !== 'object') {
    const known = Object.keys(resolved.gpuClasses ?? {});
    throw new JobSpecError(`stages[${stage}].gpuClass`, `"${className}" is not one of run.kubernetes.gpuClasses (${known.length > 0 ? known.join(', ') : 'none declared'})`);
  }
  const field = (name: string) => `run.kubernetes.gpuClasses.${className}.${name}`;
  if (gpuClass.gpus !== undefined) checkGpus(field('gpus'), gpuClass.gpus);
  if (gpuClass.gpuResource !== undefined) checkGpuResource(field('gpuResource'), gpuClass.gpuResource);
  checkComputeResources(field, gpuClass);
  checkPlacement(field, gpuClass);
  const overrides = Object.fromEntries(Object.entries(gpuClass).filter(([, value]) => value !== undefined));
  return { ...resolved, ...overrides };
}

function resolveBaseKubernetesRun(spec: StudySpec): KubernetesRunSpec {
  const raw = spec.run?.kubernetes as Partial<KubernetesRunSpec> | undefined;
  if (!raw || typeof raw !== 'object') throw new JobSpecError('run.kubernetes', 'is required to run on Kubernetes');
  const field = (name: string) => `run.kubernetes.${name}`;

  if (typeof raw.image !== 'string' || !IMAGE.test(raw.image)) {
    throw new JobSpecError(
      field('image'),
      `must be an image reference with a tag or digest (registry/name:tag or name@sha256:…; lowercase repository, no spaces), got ${show(raw.image)}`,
    );
  }
  const gpus = checkGpus(field('gpus'), raw.gpus ?? 1);
  const gpuResource = checkGpuResource(field('gpuResource'), raw.gpuResource ?? 'nvidia.com/gpu');
  checkComputeResources(field, raw);
  const shmSizeGi = raw.shmSizeGi ?? 8;
  if (typeof shmSizeGi !== 'number' || !Number.isFinite(shmSizeGi) || shmSizeGi <= 0) {
    throw new JobSpecError(field('shmSizeGi'), `must be a finite number > 0, got ${show(shmSizeGi)}`);
  }
  const startupAllowanceSeconds = wholeNumber(field('startupAllowanceSeconds'), raw.startupAllowanceSeconds ?? 300);
  const ttlSecondsAfterFinished = wholeNumber(field('ttlSecondsAfterFinished'), raw.ttlSecondsAfterFinished ?? 3600);
  if (raw.serviceAccountName !== undefined && (typeof raw.serviceAccountName !== 'string' || !SUBDOMAIN.test(raw.serviceAccountName))) {
    throw new JobSpecError(field('serviceAccountName'), `must be a DNS-1123 name, got ${show(raw.serviceAccountName)}`);
  }
  checkPlacement(field, raw);
  if (raw.datasetCache !== undefined) checkDatasetCache(raw.datasetCache);

  return {
    ...raw,
    image: raw.image,
    gpus,
    gpuResource,
    shmSizeGi,
    startupAllowanceSeconds,
    ttlSecondsAfterFinished,
    ...(raw.datasetCache ? { datasetCache: { ...raw.datasetCache, mountPath: raw.datasetCache.mountPath ?? '/datasets' } } : {}),
  };
}

/** The fields a GPU class may override, as run.kubernetes has them. */
type Overridable = Partial<Pick<KubernetesRunSpec, 'requests' | 'limits' | 'nodeSelector' | 'tolerations'>>;

function checkGpus(field: string, gpus: unknown): number {
  if (typeof gpus !== 'number' || !Number.isSafeInteger(gpus) || gpus < 0) throw new JobSpecError(field, `must be a whole number ≥ 0, got ${show(gpus)}`);
  return gpus;
}

function checkGpuResource(field: string, gpuResource: unknown): string {
  if (typeof gpuResource !== 'string' || !EXTENDED_RESOURCE.test(gpuResource)) {
    throw new JobSpecError(field, `must be a domain-prefixed resource name like nvidia.com/gpu, got ${show(gpuResource)}`);
  }
  return gpuResource;
}

function checkComputeResources(field: (name: string) => string, raw: Overridable): void {
  for (const group of ['requests', 'limits'] as const) {
    const values = raw[group] as Record<string, unknown> | undefined;
    if (values === undefined) continue;
    for (const [key, value] of Object.entries(values)) {
      if (key !== 'cpu' && key !== 'memory') throw new JobSpecError(field(`${group}.${key}`), 'is not a known field (known: cpu, memory)');
      if (typeof value !== 'string' || !QUANTITY.test(value)) {
        throw new JobSpecError(field(`${group}.${key}`), `must be a Kubernetes quantity like 4, 500m or 16Gi, got ${show(value)}`);
      }
    }
  }
}

function checkPlacement(field: (name: string) => string, raw: Overridable): void {
  if (raw.nodeSelector !== undefined) {
    for (const [key, value] of Object.entries(raw.nodeSelector)) {
      if (typeof value !== 'string') throw new JobSpecError(field(`nodeSelector.${key}`), `must be a string, got ${show(value)}`);
    }
  }
  if (raw.tolerations !== undefined && !Array.isArray(raw.tolerations)) {
    throw new JobSpecError(field('tolerations'), `must be a list, got ${show(raw.tolerations)}`);
  }
}

function checkDatasetCache(cache: Partial<NonNullable<KubernetesRunSpec['datasetCache']>>): void {
  const field = 'run.kubernetes.datasetCache';
  if (typeof cache.claimName !== 'string' || !SUBDOMAIN.test(cache.claimName)) {
    throw new JobSpecError(`${field}.claimName`, `must be the name of a PersistentVolumeClaim, got ${show(cache.claimName)}`);
  }
  const mountPath = cache.mountPath ?? '/datasets';
  const clashes = (reserved: string) => mountPath === reserved || mountPath.startsWith(`${reserved}/`) || reserved.startsWith(`${mountPath.replace(/\/+$/, '')}/`);
  if (typeof mountPath !== 'string' || !/^\/\S*[^/\s]$/.test(mountPath) || mountPath.split('/').includes('..')) {
    throw new JobSpecError(`${field}.mountPath`, `must be an absolute path other than /, got ${show(mountPath)}`);
  }
  if (clashes(WORK_ROOT) || clashes(SHM_PATH)) {
    throw new JobSpecError(`${field}.mountPath`, `must not be ${WORK_ROOT} or ${SHM_PATH} (or inside or above them), got ${show(mountPath)}`);
  }
}

function containerEnv(runEnv: Record<string, string>, tokenSecretName: string): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  for (const [name, value] of Object.entries(runEnv)) {
    if (!ENV_NAME.test(name)) throw new JobSpecError(`run.env.${name}`, 'is not a valid variable name');
    // The agent's own settings (the token above all) cannot be shadowed from a study spec.
    if (name.startsWith('AUTORESEARCH_')) throw new JobSpecError(`run.env.${name}`, 'AUTORESEARCH_ variables are reserved for the agent');
    if (typeof value !== 'string') throw new JobSpecError(`run.env.${name}`, `must be a string, got ${show(value)}`);
    env.push({ name, value });
  }
  // The token reaches the pod only as a reference: it never appears in the Job, its events or `kubectl get -o yaml`.
  env.push({ name: RUN_TOKEN_ENV, valueFrom: { secretKeyRef: { name: tokenSecretName, key: RUN_TOKEN_SECRET_KEY } } });
  return env;
}

/** A skill run's agent calls the model; its key comes from the run's own Secret, never a literal. */
function modelEnv(tokenSecretName: string, baseUrl: string | undefined): V1EnvVar[] {
  return [
    { name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: tokenSecretName, key: MODEL_API_KEY_SECRET_KEY } } },
    ...(baseUrl ? [{ name: 'ANTHROPIC_BASE_URL', value: baseUrl }] : []),
  ];
}

function resources(k8s: KubernetesRunSpec): V1ResourceRequirements {
  const requests: Record<string, string> = { ...k8s.requests };
  const limits: Record<string, string> = { ...k8s.limits };
  if (k8s.gpus > 0) {
    // Extended resources cannot be overcommitted: Kubernetes requires requests to equal limits.
    limits[k8s.gpuResource] = String(k8s.gpus);
    requests[k8s.gpuResource] = String(k8s.gpus);
  }
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

function volumes(k8s: KubernetesRunSpec): V1Volume[] {
  const list: V1Volume[] = [
    { name: 'work', emptyDir: {} },
    // Memory-backed, and sized: the default 64 MiB /dev/shm breaks multi-worker data loading.
    { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: `${k8s.shmSizeGi}Gi` } },
  ];
  if (k8s.datasetCache) {
    list.push({ name: 'dataset-cache', persistentVolumeClaim: { claimName: k8s.datasetCache.claimName, readOnly: true } });
  }
  return list;
}

function volumeMounts(k8s: KubernetesRunSpec): V1VolumeMount[] {
  const mounts: V1VolumeMount[] = [
    { name: 'work', mountPath: WORK_ROOT },
    { name: 'shm', mountPath: SHM_PATH },
  ];
  if (k8s.datasetCache) mounts.push({ name: 'dataset-cache', mountPath: k8s.datasetCache.mountPath, readOnly: true });
  return mounts;
}

function checkRunIdentity(run: RunIdentity, jobName: string): void {
  if (typeof run.runId !== 'string' || !/[A-Za-z0-9]/.test(run.runId)) throw new JobSpecError('run.runId', `must be an id, got ${show(run.runId)}`);
  if (!Number.isSafeInteger(run.attempt) || run.attempt < 0) throw new JobSpecError('run.attempt', `must be a whole number ≥ 0, got ${show(run.attempt)}`);
  if (!isDns1123Label(jobName)) throw new JobSpecError('run.runId', `gives the Job name ${show(jobName)}, which is not a valid DNS-1123 label`);
}

function checkName(field: string, value: string, valid: boolean): void {
  if (typeof value !== 'string' || !valid) throw new JobSpecError(field, `must be a DNS-1123 name, got ${show(value)}`);
}

function checkUrl(field: string, value: string): void {
  try {
    new URL(value);
  } catch {
    throw new JobSpecError(field, `must be a URL, got ${show(value)}`);
  }
}

function wholeNumber(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new JobSpecError(field, `must be a whole number ≥ 0, got ${show(value)}`);
  }
  return value;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
