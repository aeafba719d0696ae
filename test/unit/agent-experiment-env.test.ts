import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidAssignmentError } from '../../services/agent/src/errors.js';
import { buildExperimentEnv } from '../../services/agent/src/experiment-env.js';

const input = { inherited: { PATH: '/opt/bin:/usr/bin', CUDA_VISIBLE_DEVICES: '0' }, workdir: '/w/work', tmpDir: '/w/tmp', assignmentEnv: {} };

describe('buildExperimentEnv', () => {
  it('is a minimal environment rooted in the work directory', () => {
    assert.deepEqual(buildExperimentEnv(input), {
      PATH: '/opt/bin:/usr/bin',
      CUDA_VISIBLE_DEVICES: '0',
      HOME: '/w/work',
      TMPDIR: '/w/tmp',
      PYTHONUNBUFFERED: '1',
    });
  });

  it('has a PATH even when the agent has none', () => {
    assert.equal(buildExperimentEnv({ ...input, inherited: {} }).PATH, '/usr/local/bin:/usr/bin:/bin');
  });

  it("lets the spec's env add and override", () => {
    const env = buildExperimentEnv({ ...input, assignmentEnv: { SEED: '1', PYTHONUNBUFFERED: '0' } });
    assert.equal(env.SEED, '1');
    assert.equal(env.PYTHONUNBUFFERED, '0');
  });

  it('refuses invalid variable names', () => {
    assert.throws(() => buildExperimentEnv({ ...input, assignmentEnv: { 'A=B': 'x' } }), InvalidAssignmentError);
    assert.throws(() => buildExperimentEnv({ ...input, assignmentEnv: { A: 'x\0y' } }), /NUL/);
  });
});
