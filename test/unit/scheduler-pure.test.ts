import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverSlots, gpusFromEnv, parseNvidiaSmiList } from '../../services/controller/src/executors/local/discover-slots.js';
import { summarizeProgress } from '../../services/controller/src/scheduler/study-progress.js';
import type { ExperimentRow } from '../../services/controller/src/store/schema.js';

describe('slot discovery', () => {
  it('gives one slot per visible GPU, pinned with CUDA_VISIBLE_DEVICES', () => {
    assert.deepEqual(discoverSlots({ cudaVisibleDevices: '2,3', cpuSlots: undefined }), [
      { name: 'gpu:2', env: { CUDA_VISIBLE_DEVICES: '2' } },
      { name: 'gpu:3', env: { CUDA_VISIBLE_DEVICES: '3' } },
    ]);
  });
  it('asks nvidia-smi when CUDA_VISIBLE_DEVICES is unset', () => {
    const slots = discoverSlots({ cudaVisibleDevices: undefined, cpuSlots: undefined, listGpus: () => ['0', '1', '2'] });
    assert.deepEqual(slots.map((s) => s.name), ['gpu:0', 'gpu:1', 'gpu:2']);
  });
  it('falls back to one CPU slot without GPUs, and --slots N gives N CPU slots', () => {
    assert.deepEqual(discoverSlots({ cudaVisibleDevices: undefined, cpuSlots: undefined, listGpus: () => [] }), [{ name: 'cpu:0', env: {} }]);
    assert.deepEqual(discoverSlots({ cudaVisibleDevices: '', cpuSlots: undefined }), [{ name: 'cpu:0', env: {} }]);
    assert.deepEqual(discoverSlots({ cudaVisibleDevices: '0,1', cpuSlots: 3 }).map((s) => s.name), ['cpu:0', 'cpu:1', 'cpu:2']);
  });
  it('parses CUDA_VISIBLE_DEVICES and nvidia-smi -L', () => {
    assert.equal(gpusFromEnv(undefined), null);
    assert.deepEqual(gpusFromEnv('-1'), []);
    assert.deepEqual(gpusFromEnv(' 0, 1 ,'), ['0', '1']);
    assert.deepEqual(parseNvidiaSmiList('GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\nGPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-2)\n'), ['0', '1']);
    assert.deepEqual(parseNvidiaSmiList('No devices were found\n'), []);
  });
});

describe('study progress', () => {
  const row = (number: number, outcome: ExperimentRow['outcome'], score: number | null, status: ExperimentRow['status'] = 'decided') =>
    ({ id: `e${number}`, number, outcome, score, status }) as ExperimentRow;

  it('counts decided and pending, the best kept score and the plateau counter', () => {
    const progress = summarizeProgress(
      [row(0, 'baseline', 2), row(1, 'keep', 1.8), row(2, 'discard', 1.7), row(3, 'crash', null), row(4, null, null, 'pending'), row(5, 'discard', 1.9)],
      'minimize',
    );
    assert.deepEqual(progress, {
      created: 6, decided: 5, pending: 1, nextToDecide: 4, bestScore: 1.8, bestExperimentNumber: 1,
      experimentsSinceLastKeep: 3, baselineDecided: true,
    });
  });
  it('uses the direction for the best score', () => {
    const progress = summarizeProgress([row(0, 'baseline', 0.5), row(1, 'keep', 0.7)], 'maximize');
    assert.equal(progress.bestScore, 0.7);
  });
});
