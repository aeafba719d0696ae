// When the noise is measured again, and what a re-measurement decides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { decideExperiment } from '../../services/controller/src/scheduler/decide-experiment.js';
import { latestMeasurement, remeasurementDue } from '../../services/controller/src/scheduler/noise-remeasurement.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import type { BranchRow, ExperimentRow, RunRow } from '../../services/controller/src/store/schema.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

const spec = validateStudySpec({ ...parse(SURROGATE_SPEC), decision: { remeasureEvery: 2 } });
const experiment = (number: number, fields: Partial<ExperimentRow> = {}): ExperimentRow =>
  ({ id: `e${number}`, number, kind: number === 0 ? 'baseline' : 'candidate', status: 'decided', outcome: number === 0 ? 'baseline' : 'discard', changeKey: number === 0 ? null : `k${number}`, candidateRevisionId: 'rev', ...fields }) as ExperimentRow;

describe('remeasurementDue', () => {
  it('is due once remeasureEvery candidates are decided since the last measurement', () => {
    assert.equal(remeasurementDue(spec, [experiment(0), experiment(1)]), false);
    assert.equal(remeasurementDue(spec, [experiment(0), experiment(1), experiment(2)]), true);
    assert.equal(remeasurementDue(spec, [experiment(0), experiment(1), experiment(2, { status: 'pending', outcome: null })]), false, 'a pending one does not count');
    assert.equal(remeasurementDue(spec, [experiment(0), experiment(1), experiment(2, { outcome: 'invalid' })]), false, 'an invalid one never ran');
  });

  it('counts from the latest re-measurement, and waits while one is pending', () => {
    const measured = [experiment(0), experiment(1), experiment(2), experiment(3, { kind: 'remeasure', outcome: 'remeasure' })];
    assert.equal(latestMeasurement(measured)?.number, 3);
    assert.equal(remeasurementDue(spec, [...measured, experiment(4)]), false);
    assert.equal(remeasurementDue(spec, [...measured, experiment(4), experiment(5)]), true);
    assert.equal(remeasurementDue(spec, [experiment(0), experiment(1), experiment(2), experiment(3, { kind: 'remeasure', status: 'pending', outcome: null })]), false);
  });

  it('is never due without remeasureEvery', () => {
    const off = validateStudySpec(parse(SURROGATE_SPEC));
    assert.equal(remeasurementDue(off, [experiment(0), experiment(1), experiment(2), experiment(3)]), false);
  });
});

describe('a re-measurement decided', () => {
  const run = (repeatIndex: number, value: number) => ({ id: `r${repeatIndex}`, repeatIndex, role: 'working', status: 'succeeded', metrics: { val_bpb: value }, peakMemoryMb: null }) as unknown as RunRow;
  const branch = (headRevisionId: string) => ({ id: 'b', headRevisionId, headScore: 1.0003, headValues: [1.001, 0.999, 1.001] }) as BranchRow;
  const remeasure = experiment(3, { kind: 'remeasure', changeKey: null, status: 'pending', outcome: null });
  const runs = [run(0, 1.047), run(1, 1.053), run(2, 1.047)];

  it('gives the head its fresh values and the study its fresh spread', () => {
    const decision = decideExperiment({ spec, experiment: remeasure, runs, branch: branch('rev'), noise: null });
    assert.equal(decision.outcome, 'remeasure');
    assert.deepEqual(decision.newHeadValues, [1.047, 1.053, 1.047]);
    assert.ok(Math.abs(decision.noise!.sigma - 0.0034641) < 1e-6);
    assert.equal(decision.noise!.degreesOfFreedom, 2);
    assert.match(decision.reason, /^noise re-measured on the head: val_bpb=1\.049000 over 3 runs; run-to-run σ=0\.00346 \(its runs so far averaged 1\.000300\)$/);
  });

  it('leaves a head that a keep has moved meanwhile, and still measures the noise', () => {
    const decision = decideExperiment({ spec, experiment: remeasure, runs, branch: branch('newer'), noise: null });
    assert.equal(decision.outcome, 'remeasure');
    assert.equal(decision.newHeadValues, null);
    assert.ok(decision.noise !== null);
  });
});
