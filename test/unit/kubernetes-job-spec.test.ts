import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { InvalidInputError } from '../../services/controller/src/errors.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

function withKubernetes(kubernetes: unknown): Record<string, any> {
  const spec = parse(SURROGATE_SPEC) as Record<string, any>;
  spec.run.kubernetes = kubernetes;
  return spec;
}

function fieldErrors(raw: unknown): { path: string; message: string }[] {
  try {
    validateStudySpec(raw);
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`);
    return error.fieldErrors;
  }
  assert.fail('expected the spec to be rejected');
}

describe('run.kubernetes in the study spec', () => {
  it('is optional: a spec without it validates unchanged', () => {
    const spec = validateStudySpec(parse(SURROGATE_SPEC));
    assert.equal(spec.run.kubernetes, undefined);
    assert.equal('kubernetes' in spec.run, false);
  });

  it('fills its defaults', () => {
    const spec = validateStudySpec(withKubernetes({ image: 'ghcr.io/acme/trainer:1', datasetCache: { claimName: 'datasets' } }));
    assert.deepEqual(spec.run.kubernetes, {
      image: 'ghcr.io/acme/trainer:1',
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
      shmSizeGi: 8,
      startupAllowanceSeconds: 300,
      ttlSecondsAfterFinished: 3600,
      datasetCache: { claimName: 'datasets', mountPath: '/datasets' },
    });
  });

  it('accepts every field in its Kubernetes form', () => {
    assert.doesNotThrow(() => validateStudySpec(withKubernetes({
      image: `registry.example.com:5000/team/trainer@sha256:${'b'.repeat(64)}`,
      gpus: 0,
      gpuResource: 'nvidia.com/mig-1g.10gb',
      requests: { cpu: '500m', memory: '1.5Gi' },
      limits: { cpu: '2', memory: '4G' },
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }] } }] } },
      datasetCache: { claimName: 'hf-cache', mountPath: '/cache' },
      shmSizeGi: 0.5,
      startupAllowanceSeconds: 0,
      ttlSecondsAfterFinished: 0,
      serviceAccountName: 'agent',
    })));
  });

  it('rejects a bad image, naming the field', () => {
    for (const image of ['ghcr.io/Acme/trainer:1', 'trainer', 'my trainer:1']) {
      const [error, ...rest] = fieldErrors(withKubernetes({ image }));
      assert.equal(rest.length, 0);
      assert.equal(error!.path, 'run.kubernetes.image');
      assert.match(error!.message, /^must match /);
    }
  });

  it('rejects negative GPUs, naming the field', () => {
    assert.deepEqual(fieldErrors(withKubernetes({ image: 'trainer:1', gpus: -1 })), [
      { path: 'run.kubernetes.gpus', message: 'must be at least 0, got -1' },
    ]);
  });

  it('rejects a missing image, bad quantities and unknown fields', () => {
    assert.deepEqual(fieldErrors(withKubernetes({})), [{ path: 'run.kubernetes.image', message: 'is required' }]);
    assert.equal(fieldErrors(withKubernetes({ image: 'trainer:1', limits: { memory: '16 GB' } }))[0]!.path, 'run.kubernetes.limits.memory');
    const [unknown] = fieldErrors(withKubernetes({ image: 'trainer:1', gpu: 2 }));
    assert.equal(unknown!.path, 'run.kubernetes.gpu');
    assert.match(unknown!.message, /^is not a known field/);
  });
});
