// Screen, then promote on Kubernetes: each stage's Job carries that stage's budget (in its deadline), its GPU
// class's resources, node selector and tolerations, and the stage's name as a label; a class the spec does
// not declare is refused naming the field, at submission and when a Job is built.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { parse } from 'yaml';
import { admitKubernetesSpec } from '../../services/controller/src/executors/kubernetes/admit-spec.js';
import { buildRunJob, STAGE_LABEL, type BuildRunJobInput } from '../../services/controller/src/executors/kubernetes/build-job.js';
import { JobSpecError } from '../../services/controller/src/executors/kubernetes/job-spec-error.js';
import { InvalidInputError } from '../../services/controller/src/errors.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import type { StudySpec } from '../../schemas/src/study-spec.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

function stagedSpec(gpuClasses: Record<string, unknown> = {
  small: { gpus: 1, gpuResource: 'nvidia.com/mig-1g.10gb', nodeSelector: { 'gpu-type': 'l4' }, limits: { memory: '8Gi' } },
  large: { gpus: 4, nodeSelector: { 'gpu-type': 'h100' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'h100', effect: 'NoSchedule' }] },
}): StudySpec {
  const raw = parse(SURROGATE_SPEC) as Record<string, any>;
  raw.run = {
    ...raw.run,
    budgetSeconds: 999,
    graceSeconds: 30,
    kubernetes: { image: 'ghcr.io/acme/trainer:1.0', gpus: 2, nodeSelector: { pool: 'default' }, requests: { cpu: '4' }, startupAllowanceSeconds: 100, gpuClasses },
  };
  raw.stages = [
    { name: 'screen', budgetSeconds: 60, repeats: 1, gpuClass: 'small' },
    { name: 'full', budgetSeconds: 300, repeats: 3, gpuClass: 'large' },
  ];
  return validateStudySpec(raw);
}

function input(spec: StudySpec, stage: number): BuildRunJobInput {
  return {
    run: { runId: '3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f', attempt: 1, studyId: 'a1b2c3d4-0000-4000-8000-000000000001', branchIndex: 0, experimentNumber: 4 },
    spec,
    stage,
    namespace: 'autoresearch-runs',
    controllerUrl: 'http://autoresearch-controller:8080',
    natsUrl: 'nats://nats:4222',
    tokenSecretName: 'ar-run-3f2a9c1e-1-token',
  };
}

describe('Jobs of a study with stages', () => {
  it("builds each stage's Job from its budget and GPU class, over run.kubernetes", () => {
    const spec = stagedSpec();
    const screen = buildRunJob(input(spec, 0));
    const full = buildRunJob(input(spec, 1));
    for (const job of [screen, full]) new Job(job as ConstructorParameters<typeof Job>[0]).validate();

    assert.equal(screen.spec!.activeDeadlineSeconds, 60 + 30 + 100, 'the screen budget + grace + startup allowance');
    assert.equal(full.spec!.activeDeadlineSeconds, 300 + 30 + 100, 'the full budget + grace + startup allowance');
    assert.equal(screen.metadata!.labels![STAGE_LABEL], 'screen');
    assert.equal(full.metadata!.labels![STAGE_LABEL], 'full');
    assert.equal(full.spec!.template.metadata!.labels![STAGE_LABEL], 'full');

    const screenPod = screen.spec!.template.spec!;
    assert.deepEqual(screenPod.nodeSelector, { 'gpu-type': 'l4' }, "the class's node selector replaces run.kubernetes's");
    assert.deepEqual(screenPod.containers[0]!.resources, {
      requests: { cpu: '4', 'nvidia.com/mig-1g.10gb': '1' },
      limits: { memory: '8Gi', 'nvidia.com/mig-1g.10gb': '1' },
    });
    assert.equal(screenPod.tolerations, undefined);

    const fullPod = full.spec!.template.spec!;
    assert.deepEqual(fullPod.nodeSelector, { 'gpu-type': 'h100' });
    assert.deepEqual(fullPod.containers[0]!.resources, { requests: { cpu: '4', 'nvidia.com/gpu': '4' }, limits: { 'nvidia.com/gpu': '4' } });
    assert.deepEqual(fullPod.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'h100', effect: 'NoSchedule' }]);
  });

  it('keeps run.kubernetes for a stage that names no class', () => {
    const raw = stagedSpec() as unknown as Record<string, any>;
    raw.stages[0] = { name: 'screen', budgetSeconds: 60, repeats: 1 };
    const job = buildRunJob(input(raw as StudySpec, 0));
    assert.deepEqual(job.spec!.template.spec!.nodeSelector, { pool: 'default' });
    assert.equal(job.spec!.template.spec!.containers[0]!.resources!.limits!['nvidia.com/gpu'], '2');
  });

  it('refuses a class the spec does not declare, naming the stage, when the Job is built and when the study is submitted', () => {
    const spec = stagedSpec({ large: { gpus: 4 } });
    assert.throws(() => buildRunJob(input(spec, 0)), (error: unknown) =>
      error instanceof JobSpecError && error.field === 'stages[0].gpuClass' && /"small" is not one of run\.kubernetes\.gpuClasses \(large\)/.test(error.message));
    assert.throws(() => admitKubernetesSpec(spec), (error: unknown) =>
      error instanceof InvalidInputError && error.fieldErrors.some((e) => e.path === 'stages[0].gpuClass'));
  });

  it("checks a class's own fields, naming them, in a spec that skipped schema validation", () => {
    const spec = stagedSpec({ small: { gpus: 1 }, large: { gpus: 4 } });
    spec.run.kubernetes!.gpuClasses!.small!.limits = { memory: 'lots' };
    assert.throws(() => admitKubernetesSpec(spec), (error: unknown) =>
      error instanceof InvalidInputError && error.fieldErrors.some((e) => e.path === 'run.kubernetes.gpuClasses.small.limits.memory'));
  });
});
