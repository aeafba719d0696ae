import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Secret } from 'kubernetes-models/v1/Secret';
import { parse } from 'yaml';
import {
  buildRunJob,
  buildRunTokenSecret,
  FLAVOR_LABEL,
  MODEL_API_KEY_SECRET_KEY,
  RUN_TOKEN_ENV,
  type BuildRunJobInput,
} from '../../services/controller/src/executors/kubernetes/build-job.js';
import { JobSpecError } from '../../services/controller/src/executors/kubernetes/job-spec-error.js';
import { toLabelValue } from '../../services/controller/src/executors/kubernetes/names.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import type { StudySpec } from '../../schemas/src/study-spec.js';
import { SKILL_STUDY_YAML } from '../support/skill-folder.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

const RUN_ID = '3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f';
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const TOKEN = 'ar_run_s3cr3t-token-value-0123456789';

function specWith(kubernetes: Record<string, unknown>, run: Record<string, unknown> = {}): StudySpec {
  const raw = parse(SURROGATE_SPEC) as Record<string, any>;
  raw.run = { ...raw.run, ...run, kubernetes };
  return validateStudySpec(raw);
}

function input(overrides: Partial<BuildRunJobInput> = {}, kubernetes: Record<string, unknown> = {}): BuildRunJobInput {
  return {
    run: { runId: RUN_ID, attempt: 2, studyId: 'a1b2c3d4-0000-4000-8000-000000000001', branchIndex: 1, experimentNumber: 17 },
    spec: specWith({ image: 'ghcr.io/acme/trainer:2026.11', ...kubernetes }, { budgetSeconds: 300, graceSeconds: 30 }),
    namespace: 'autoresearch-runs',
    controllerUrl: 'http://autoresearch-controller.autoresearch.svc:8080',
    natsUrl: 'nats://nats.autoresearch.svc:4222',
    tokenSecretName: 'ar-run-3f2a9c1e-2-token',
    ...overrides,
  };
}

const agent = (job: ReturnType<typeof buildRunJob>) => job.spec!.template.spec!.containers[0]!;

function rejection(action: () => unknown): JobSpecError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof JobSpecError, `expected JobSpecError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_JOB_SPEC');
    return error;
  }
  assert.fail('expected a JobSpecError');
}

describe('buildRunJob', () => {
  it('builds a Job that kubernetes-models accepts', () => {
    const job = buildRunJob(input({}, {
      requests: { cpu: '4', memory: '32Gi' },
      limits: { cpu: '8', memory: '64Gi' },
      datasetCache: { claimName: 'datasets', mountPath: '/datasets' },
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      serviceAccountName: 'autoresearch-agent',
    }));
    assert.doesNotThrow(() => new Job(job as ConstructorParameters<typeof Job>[0]).validate());
    assert.equal(job.apiVersion, 'batch/v1');
    assert.equal(job.kind, 'Job');
    assert.equal(job.metadata!.name, 'ar-run-3f2a9c1e-2');
    assert.equal(job.metadata!.namespace, 'autoresearch-runs');
    assert.equal(job.spec!.template.spec!.serviceAccountName, 'autoresearch-agent');
    assert.equal(agent(job).image, 'ghcr.io/acme/trainer:2026.11');
  });

  it('runs the agent over NATS with its run id, and the custom command when given', () => {
    assert.deepEqual(agent(buildRunJob(input())).command, [
      'autoresearch', 'agent', '--run-id', RUN_ID,
      '--controller-url', 'http://autoresearch-controller.autoresearch.svc:8080',
      '--transport', 'nats', '--nats-url', 'nats://nats.autoresearch.svc:4222', '--work-root', '/work',
    ]);
    assert.deepEqual(agent(buildRunJob(input({ agentCommand: ['node', '/app/agent.js'] }))).command, ['node', '/app/agent.js']);
  });

  describe('GPUs', () => {
    it('requests one nvidia.com/gpu by default, with requests equal to limits', () => {
      const { resources } = agent(buildRunJob(input()));
      assert.equal(resources!.limits!['nvidia.com/gpu'], '1');
      assert.equal(resources!.requests!['nvidia.com/gpu'], '1');
    });

    it('requests N GPUs of a custom resource beside cpu and memory', () => {
      const { resources } = agent(buildRunJob(input({}, {
        gpus: 4, gpuResource: 'amd.com/gpu', requests: { cpu: '500m', memory: '16Gi' }, limits: { memory: '32Gi' },
      })));
      assert.deepEqual(resources, {
        requests: { cpu: '500m', memory: '16Gi', 'amd.com/gpu': '4' },
        limits: { memory: '32Gi', 'amd.com/gpu': '4' },
      });
    });

    it('requests no GPU resource at all with gpus: 0', () => {
      const job = buildRunJob(input({}, { gpus: 0, requests: { cpu: '2' } }));
      assert.deepEqual(agent(job).resources, { requests: { cpu: '2' } });
      assert.doesNotMatch(JSON.stringify(job), /nvidia\.com\/gpu/);
    });
  });

  describe('deadline and lifecycle', () => {
    it('sets activeDeadlineSeconds to budget + grace + startup allowance', () => {
      assert.equal(buildRunJob(input()).spec!.activeDeadlineSeconds, 300 + 30 + 300);
      assert.equal(buildRunJob(input({}, { startupAllowanceSeconds: 60 })).spec!.activeDeadlineSeconds, 390);
    });

    it('rounds a fractional deadline up', () => {
      const spec = specWith({ image: 'trainer:1', startupAllowanceSeconds: 0 }, { budgetSeconds: 10.2, graceSeconds: 0.5 });
      assert.equal(buildRunJob(input({ spec })).spec!.activeDeadlineSeconds, 11);
    });

    it('never retries, and is deleted after its TTL', () => {
      const job = buildRunJob(input({}, { ttlSecondsAfterFinished: 600 }));
      assert.equal(job.spec!.backoffLimit, 0);
      assert.equal(job.spec!.ttlSecondsAfterFinished, 600);
      assert.equal(buildRunJob(input()).spec!.ttlSecondsAfterFinished, 3600);
      assert.equal(job.spec!.template.spec!.restartPolicy, 'Never');
    });
  });

  it('runs as non-root with no privileges and no service-account token', () => {
    const pod = buildRunJob(input()).spec!.template.spec!;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' },
    });
    const container = pod.containers[0]!.securityContext!;
    assert.equal(container.allowPrivilegeEscalation, false);
    assert.equal(container.privileged, false);
    assert.deepEqual(container.capabilities, { drop: ['ALL'] });
    assert.equal(container.readOnlyRootFilesystem, false);
  });

  describe('labels', () => {
    it('labels Job and pod with app, manager, study, branch, experiment, run and attempt', () => {
      const job = buildRunJob(input());
      const expected = {
        'app.kubernetes.io/name': 'autoresearch-agent',
        'app.kubernetes.io/managed-by': 'autoresearch',
        'autoresearch.dev/study': 'a1b2c3d4-0000-4000-8000-000000000001',
        'autoresearch.dev/branch': '1',
        'autoresearch.dev/experiment': '17',
        'autoresearch.dev/run': RUN_ID,
        'autoresearch.dev/attempt': '2',
      };
      assert.deepEqual(job.metadata!.labels, expected);
      assert.deepEqual(job.spec!.template.metadata!.labels, expected);
      // kubernetes-models does not check label syntax, so check it here against the API server's rule.
      for (const value of Object.values(expected)) assert.match(value, LABEL_VALUE);
    });

    it('sanitizes and truncates ids into valid label values', () => {
      const studyId = `-Study id/with spaces_${'x'.repeat(80)}`;
      const job = buildRunJob(input({ run: { runId: RUN_ID, attempt: 0, studyId, branchIndex: 0, experimentNumber: 0 } }));
      const value = job.metadata!.labels!['autoresearch.dev/study']!;
      assert.match(value, LABEL_VALUE);
      assert.ok(value.length > 0 && value.length <= 63);
      assert.ok(value.startsWith('Study-id-with-spaces_x'));
      assert.equal(toLabelValue('a.b/c_'), 'a.b-c');
      assert.doesNotThrow(() => new Job(job as ConstructorParameters<typeof Job>[0]).validate());
    });

    it('keeps the Job name a DNS-1123 label of at most 63 characters', () => {
      const job = buildRunJob(input({ run: { runId: 'ABCD_EFGH-IJKL', attempt: 123456, studyId: 's', branchIndex: 0, experimentNumber: 1 } }));
      assert.equal(job.metadata!.name, 'ar-run-abcdefgh-123456');
      assert.match(job.metadata!.name!, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    });
  });

  it('passes the token by secret reference only, after the spec env', () => {
    const job = buildRunJob(input({}, {}));
    const withEnv = buildRunJob(input({ spec: specWith({ image: 'trainer:1' }, { env: { HF_HOME: '/datasets/hf' } }) }));
    assert.deepEqual(agent(withEnv).env, [
      { name: 'HF_HOME', value: '/datasets/hf' },
      { name: RUN_TOKEN_ENV, valueFrom: { secretKeyRef: { name: 'ar-run-3f2a9c1e-2-token', key: 'token' } } },
    ]);
    assert.ok(agent(job).env!.every((variable) => variable.name !== RUN_TOKEN_ENV || variable.value === undefined));
    assert.doesNotMatch(JSON.stringify(job), new RegExp(TOKEN));
    assert.doesNotMatch(JSON.stringify(withEnv), /s3cr3t/);
  });

  it('mounts a sized memory /dev/shm, an emptyDir /work and the dataset cache read-only', () => {
    const job = buildRunJob(input({}, { shmSizeGi: 16, datasetCache: { claimName: 'imagenet-cache', mountPath: '/data/imagenet' } }));
    const pod = job.spec!.template.spec!;
    assert.deepEqual(pod.volumes, [
      { name: 'work', emptyDir: {} },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } },
      { name: 'dataset-cache', persistentVolumeClaim: { claimName: 'imagenet-cache', readOnly: true } },
    ]);
    assert.deepEqual(pod.containers[0]!.volumeMounts, [
      { name: 'work', mountPath: '/work' },
      { name: 'shm', mountPath: '/dev/shm' },
      { name: 'dataset-cache', mountPath: '/data/imagenet', readOnly: true },
    ]);
    const plain = buildRunJob(input()).spec!.template.spec!;
    assert.deepEqual(plain.volumes![1], { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } });
    assert.equal(plain.volumes!.length, 2);
  });

  it('passes nodeSelector, tolerations and affinity through', () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu-memory-gi', operator: 'Gt', values: ['40'] }] }],
        },
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 50,
          podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'autoresearch-agent' } } },
        }],
      },
    };
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'research', effect: 'NoExecute', tolerationSeconds: 60 }];
    const job = buildRunJob(input({}, { nodeSelector: { pool: 'h100' }, tolerations, affinity }));
    const pod = job.spec!.template.spec!;
    assert.deepEqual(pod.nodeSelector, { pool: 'h100' });
    assert.deepEqual(pod.tolerations, tolerations);
    assert.deepEqual(pod.affinity, affinity);
    assert.doesNotThrow(() => new Job(job as ConstructorParameters<typeof Job>[0]).validate());
    const bare = buildRunJob(input()).spec!.template.spec!;
    assert.equal(bare.nodeSelector, undefined);
    assert.equal(bare.tolerations, undefined);
    assert.equal(bare.affinity, undefined);
  });

  describe('rejects bad values without prior schema validation, naming the field', () => {
    const raw = (kubernetes: Record<string, unknown>, run: Record<string, unknown> = {}) => {
      const spec = parse(SURROGATE_SPEC) as Record<string, any>;
      spec.run = { ...spec.run, ...run, kubernetes };
      return input({ spec: spec as StudySpec });
    };

    it('negative or fractional GPUs', () => {
      assert.equal(rejection(() => buildRunJob(raw({ image: 'trainer:1', gpus: -1 }))).message,
        'run.kubernetes.gpus: must be a whole number ≥ 0, got -1');
      assert.match(rejection(() => buildRunJob(raw({ image: 'trainer:1', gpus: 1.5 }))).message, /^run\.kubernetes\.gpus: .*got 1\.5$/);
    });

    it('a bad image reference', () => {
      for (const image of ['Trainer:1', 'ghcr.io/acme/my trainer:1', 'trainer', 'ghcr.io/ACME/trainer:1', '', 'trainer@sha256:abc']) {
        const error = rejection(() => buildRunJob(raw({ image })));
        assert.equal(error.field, 'run.kubernetes.image');
        assert.match(error.message, /^run\.kubernetes\.image: must be an image reference/);
      }
      for (const image of ['trainer:1', 'localhost:5000/a/b:latest', `ghcr.io/acme/trainer@sha256:${'a'.repeat(64)}`, `Registry.Example.com/x/y:v1@sha256:${'0'.repeat(64)}`]) {
        assert.doesNotThrow(() => buildRunJob(raw({ image })), image);
      }
    });

    it('a deadline that is not finite', () => {
      assert.equal(rejection(() => buildRunJob(raw({ image: 'trainer:1' }, { budgetSeconds: Infinity }))).field, 'run.budgetSeconds');
      assert.equal(rejection(() => buildRunJob(raw({ image: 'trainer:1' }, { graceSeconds: Number.NaN }))).field, 'run.graceSeconds');
      assert.equal(rejection(() => buildRunJob(raw({ image: 'trainer:1', startupAllowanceSeconds: -5 }))).field,
        'run.kubernetes.startupAllowanceSeconds');
    });

    it('other fields', () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ image: 'trainer:1', gpuResource: 'gpu' }, 'run.kubernetes.gpuResource'],
        [{ image: 'trainer:1', limits: { memory: '16 GB' } }, 'run.kubernetes.limits.memory'],
        [{ image: 'trainer:1', requests: { cpu: '-1' } }, 'run.kubernetes.requests.cpu'],
        [{ image: 'trainer:1', shmSizeGi: 0 }, 'run.kubernetes.shmSizeGi'],
        [{ image: 'trainer:1', ttlSecondsAfterFinished: 1.5 }, 'run.kubernetes.ttlSecondsAfterFinished'],
        [{ image: 'trainer:1', datasetCache: { claimName: 'Bad_Name' } }, 'run.kubernetes.datasetCache.claimName'],
        [{ image: 'trainer:1', datasetCache: { claimName: 'ok', mountPath: '/work/data' } }, 'run.kubernetes.datasetCache.mountPath'],
        [{ image: 'trainer:1', datasetCache: { claimName: 'ok', mountPath: '/' } }, 'run.kubernetes.datasetCache.mountPath'],
      ];
      for (const [kubernetes, field] of cases) assert.equal(rejection(() => buildRunJob(raw(kubernetes))).field, field, field);
      assert.equal(rejection(() => buildRunJob(raw({ image: 'trainer:1' }, { env: { AUTORESEARCH_RUN_TOKEN: 'x' } }))).field,
        'run.env.AUTORESEARCH_RUN_TOKEN');
    });

    it('a spec without run.kubernetes, and bad inputs around it', () => {
      const spec = parse(SURROGATE_SPEC) as StudySpec;
      assert.equal(rejection(() => buildRunJob(input({ spec }))).message, 'run.kubernetes: is required to run on Kubernetes');
      assert.equal(rejection(() => buildRunJob(input({ namespace: 'Not OK' }))).field, 'namespace');
      assert.equal(rejection(() => buildRunJob(input({ natsUrl: 'not a url' }))).field, 'natsUrl');
      assert.equal(rejection(() => buildRunJob(input({ agentCommand: [] }))).field, 'agentCommand');
    });
  });
});

describe('buildRunTokenSecret', () => {
  it('holds the token under `token`, owned by the Job when given, and validates', () => {
    const secret = buildRunTokenSecret({
      runId: RUN_ID, attempt: 2, token: TOKEN, namespace: 'autoresearch-runs',
      ownerJob: { name: 'ar-run-3f2a9c1e-2', uid: '0f0f0f0f-1111-2222-3333-444444444444' },
    });
    assert.doesNotThrow(() => new Secret(secret as ConstructorParameters<typeof Secret>[0]).validate());
    assert.equal(secret.metadata!.name, 'ar-run-3f2a9c1e-2-token');
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(secret.stringData, { token: TOKEN });
    assert.deepEqual(secret.metadata!.ownerReferences, [
      { apiVersion: 'batch/v1', kind: 'Job', name: 'ar-run-3f2a9c1e-2', uid: '0f0f0f0f-1111-2222-3333-444444444444', blockOwnerDeletion: false },
    ]);
    assert.equal(buildRunJob(input()).spec!.template.spec!.containers[0]!.env!.at(-1)!.valueFrom!.secretKeyRef!.name, secret.metadata!.name);
  });

  it('has no owner before the Job exists, and refuses an empty token', () => {
    const secret = buildRunTokenSecret({ runId: RUN_ID, attempt: 0, token: TOKEN, namespace: 'runs' });
    assert.equal(secret.metadata!.ownerReferences, undefined);
    assert.doesNotThrow(() => new Secret(secret as ConstructorParameters<typeof Secret>[0]).validate());
    assert.equal(rejection(() => buildRunTokenSecret({ runId: RUN_ID, attempt: 0, token: '', namespace: 'runs' })).field, 'token');
  });
});

describe('a skill run as a Job', () => {
  const skillSpec = () => {
    const raw = parse(SKILL_STUDY_YAML) as Record<string, any>;
    raw.run = { kubernetes: { image: 'ghcr.io/acme/agent:2026.11' } };
    return validateStudySpec(raw);
  };

  it('asks for no GPU, reads the model key from its run Secret, and is labelled for the model egress', () => {
    const job = buildRunJob(input({ spec: skillSpec(), modelApiBaseUrl: 'https://llm-proxy.internal' }));
    assert.doesNotThrow(() => new Job(job as any).validate());
    const container = agent(job);
    assert.equal(container.resources?.limits?.['nvidia.com/gpu'], undefined);
    const key = container.env!.find((e) => e.name === 'ANTHROPIC_API_KEY');
    assert.deepEqual(key?.valueFrom, { secretKeyRef: { name: 'ar-run-3f2a9c1e-2-token', key: MODEL_API_KEY_SECRET_KEY } });
    assert.equal(container.env!.find((e) => e.name === 'ANTHROPIC_BASE_URL')?.value, 'https://llm-proxy.internal');
    assert.equal(job.spec!.template.metadata!.labels![FLAVOR_LABEL], 'skill');
  });

  it('keeps the key out of a training Job, and in the run Secret only when given', () => {
    const training = buildRunJob(input());
    assert.equal(agent(training).env!.some((e) => e.name.startsWith('ANTHROPIC_')), false);
    assert.equal(training.spec!.template.metadata!.labels![FLAVOR_LABEL], undefined);
    const base = { runId: RUN_ID, attempt: 2, token: TOKEN, namespace: 'autoresearch-runs' };
    assert.equal(buildRunTokenSecret(base).stringData![MODEL_API_KEY_SECRET_KEY], undefined);
    const secret = buildRunTokenSecret({ ...base, modelApiKey: 'sk-ant-test' });
    assert.equal(secret.stringData![MODEL_API_KEY_SECRET_KEY], 'sk-ant-test');
    assert.doesNotThrow(() => new Secret(secret as any).validate());
  });
});

