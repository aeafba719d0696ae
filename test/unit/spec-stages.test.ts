// spec.stages: a bad stage configuration is rejected before anything is written, naming the field; a good
// one resolves to each stage's budget, repeats, GPU class and promotion rule, and to its run's assignment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { InvalidInputError } from '../../services/controller/src/errors.js';
import { assertSpecMatchesWorkspace, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { measurementRunStages, plannedRuns, stagesOf } from '../../services/controller/src/spec/stages.js';
import { SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

const workspace = [{ path: 'train.js', content: Buffer.from(SURROGATE_SCRIPT), mode: 0o644 }];
const SCREEN = { name: 'screen', budgetSeconds: 60, repeats: 1, gpuClass: 'small' };
const FULL = { name: 'full', budgetSeconds: 300, repeats: 3, gpuClass: 'large' };
const GPU_CLASSES = { small: { gpus: 1, nodeSelector: { 'gpu-type': 'l4' } }, large: { gpus: 4, nodeSelector: { 'gpu-type': 'h100' } } };

function raw(stages: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const spec = parse(SURROGATE_SPEC) as Record<string, any>;
  spec.run = { ...spec.run, kubernetes: { image: 'ghcr.io/acme/trainer:1.0', gpuClasses: GPU_CLASSES } };
  return { ...spec, stages, ...extra };
}

function fieldErrors(spec: Record<string, unknown>): { path: string; message: string }[] {
  try {
    assertSpecMatchesWorkspace(validateStudySpec(spec), workspace);
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`);
    return error.fieldErrors;
  }
  assert.fail('expected the spec to be rejected');
}

describe('spec.stages', () => {
  it('resolves each stage, the first promoting by the default rule and the last deciding', () => {
    const spec = validateStudySpec(raw([SCREEN, FULL]));
    assertSpecMatchesWorkspace(spec, workspace);
    const stages = stagesOf(spec);
    assert.deepEqual(stages.map((s) => [s.index, s.name, s.budgetSeconds, s.repeats, s.gpuClass]), [[0, 'screen', 60, 1, 'small'], [1, 'full', 300, 3, 'large']]);
    assert.deepEqual(stages[0]!.promote, { rule: 'better-than-head-minus-noise', fraction: 1 / 3, window: 10, calibration: 8, audit: 0.2 });
    assert.equal(stages[1]!.promote, null);
    assert.equal(plannedRuns(spec, 0), 1);
    assert.equal(plannedRuns(spec, 1), 4);
    assert.deepEqual(measurementRunStages(spec, 3), [0, 0, 0, 1, 1, 1]);
  });

  it('is one implicit stage without stages: run.budgetSeconds and repeats', () => {
    const spec = validateStudySpec(parse(SURROGATE_SPEC));
    assert.deepEqual(stagesOf(spec).map((s) => [s.index, s.budgetSeconds, s.repeats, s.promote]), [[0, 20, 1, null]]);
    assert.deepEqual(measurementRunStages(spec, 3), [0, 0, 0]);
  });

  it('accepts top-fraction with its fraction and window, and a local study without GPU classes', () => {
    const screen = { name: 'screen', budgetSeconds: 10, repeats: 1, promote: { rule: 'top-fraction', fraction: 0.25, window: 20 } };
    const spec = validateStudySpec({ ...(parse(SURROGATE_SPEC) as object), stages: [screen, { name: 'full', budgetSeconds: 10, repeats: 2 }] });
    assertSpecMatchesWorkspace(spec, workspace);
    assert.deepEqual(stagesOf(spec)[0]!.promote, { rule: 'top-fraction', fraction: 0.25, window: 20, calibration: 8, audit: 0.2 });
  });

  const cases: [string, Record<string, unknown>, { path: string; message: RegExp }][] = [
    ['no stages (an empty list)', raw([]), { path: 'stages', message: /must have at least 2 items/ }],
    ['one stage', raw([FULL]), { path: 'stages', message: /must have at least 2 items/ }],
    [
      'a later stage with a smaller budget',
      raw([SCREEN, { ...FULL, budgetSeconds: 30 }]),
      { path: 'stages[1].budgetSeconds', message: /^30 is less than stages\[0\]\.budgetSeconds \(60\): a later stage must not have a smaller budget than an earlier one$/ },
    ],
    [
      'an unknown GPU class',
      raw([{ ...SCREEN, gpuClass: 'tiny' }, FULL]),
      { path: 'stages[0].gpuClass', message: /^"tiny" is not one of run\.kubernetes\.gpuClasses \(small, large\)$/ },
    ],
    [
      'a GPU class with no classes declared',
      { ...(parse(SURROGATE_SPEC) as object), stages: [SCREEN, { name: 'full', budgetSeconds: 300, repeats: 1 }] },
      { path: 'stages[0].gpuClass', message: /^"small" is not one of run\.kubernetes\.gpuClasses \(none declared\)$/ },
    ],
    ['two stages of one name', raw([SCREEN, { ...FULL, name: 'screen' }]), { path: 'stages[1].name', message: /"screen" is also the name of stages\[0\]/ }],
    ['a promotion rule on the last stage', raw([SCREEN, { ...FULL, promote: { rule: 'top-fraction' } }]), { path: 'stages[1].promote', message: /the last stage decides keep or discard/ }],
    [
      'a fraction for the noise rule',
      raw([{ ...SCREEN, promote: { rule: 'better-than-head-minus-noise', fraction: 0.5 } }, FULL]),
      { path: 'stages[0].promote.fraction', message: /only used by rule "top-fraction"/ },
    ],
    ['an unknown promotion rule', raw([{ ...SCREEN, promote: { rule: 'best' } }, FULL]), { path: 'stages[0].promote.rule', message: /expected one of/ }],
    ['five stages', raw([1, 2, 3, 4, 5].map((i) => ({ name: `s${i}`, budgetSeconds: i, repeats: 1 }))), { path: 'stages', message: /at most 4/ }],
    [
      'maxRepeats below the last stage’s repeats',
      raw([SCREEN, FULL], { decision: { maxRepeats: 2 } }),
      { path: 'decision.maxRepeats', message: /is 2, fewer than the 3 repeats every experiment runs at its last stage/ },
    ],
  ];
  for (const [name, spec, expected] of cases) {
    it(`rejects ${name}, naming the field`, () => {
      const errors = fieldErrors(spec);
      const error = errors.find((e) => e.path === expected.path);
      assert.ok(error, `no error at ${expected.path}: ${JSON.stringify(errors)}`);
      assert.match(error.message, expected.message);
    });
  }

  it('is refused for a skill study', () => {
    const errors = fieldErrors({
      ...(parse(SURROGATE_SPEC) as object),
      flavor: 'skill',
      stages: [{ name: 'a', budgetSeconds: 1, repeats: 1 }, { name: 'b', budgetSeconds: 1, repeats: 1 }],
    });
    assert.ok(errors.some((e) => e.path === 'stages' && /is for training runs/.test(e.message)), JSON.stringify(errors));
  });
});
