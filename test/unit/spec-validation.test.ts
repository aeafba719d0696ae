import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { InvalidInputError } from '../../services/controller/src/errors.js';
import { assertSpecMatchesWorkspace, parseStudyYaml, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

const baseSpec = () => parse(SURROGATE_SPEC) as Record<string, any>;
const workspace = [{ path: 'train.js', content: Buffer.from(SURROGATE_SCRIPT), mode: 0o644 }];

function fieldErrors(action: () => unknown): { path: string; message: string }[] {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`);
    return error.fieldErrors;
  }
  assert.fail('expected the spec to be rejected');
}

function check(spec: Record<string, any>) {
  return () => assertSpecMatchesWorkspace(validateStudySpec(spec), workspace);
}

describe('study spec validation', () => {
  it('accepts the surrogate spec and fills the defaults', () => {
    const spec = validateStudySpec(baseSpec());
    assert.equal(spec.run.metrics.source, 'summary');
    assert.deepEqual(spec.run.env, {});
    assert.equal(spec.decision.rule, 'noise-aware');
    assert.equal(spec.decision.confidence, 0.95);
    assert.equal(spec.search.branches, 1);
    assert.deepEqual(spec.workspace.exclude, []);
    assert.equal(spec.mutator.kind, 'params');
    if (spec.mutator.kind === 'params') assert.equal(spec.mutator.params[0]!.scale, 'log');
    assert.doesNotThrow(check(baseSpec()));
  });

  it('names a field of the wrong type and what was expected', () => {
    const spec = baseSpec();
    spec.run.budgetSeconds = 'five minutes';
    const errors = fieldErrors(() => validateStudySpec(spec));
    assert.deepEqual(errors, [{ path: 'run.budgetSeconds', message: 'expected a number, got the string "five minutes"' }]);
  });

  it('rejects an unknown metric source with the allowed ones', () => {
    const spec = baseSpec();
    spec.run.metrics = { source: 'tensorboard' };
    const [error] = fieldErrors(() => validateStudySpec(spec));
    assert.equal(error!.path, 'run.metrics.source');
    assert.match(error!.message, /expected one of "summary", "keyvalue", "regex", "json-file", got the string "tensorboard"/);
  });

  it('rejects a missing command', () => {
    const spec = baseSpec();
    delete spec.run.command;
    // Optional in the schema (a skill study has none), required of a training study.
    assert.deepEqual(fieldErrors(check(spec)), [{ path: 'run.command', message: 'is required: the command that runs one experiment, such as "python train.py"' }]);
  });

  it('rejects an empty command', () => {
    const spec = baseSpec();
    spec.run.command = '';
    assert.deepEqual(fieldErrors(() => validateStudySpec(spec)), [{ path: 'run.command', message: 'must not be empty' }]);
  });

  it('rejects mutable paths that escape the folder or are absolute', () => {
    for (const [path, problem] of [
      ['../outside.js', /escapes the study folder/],
      ['a/../../outside.js', /escapes the study folder/],
      ['/etc/passwd', /is absolute/],
    ] as const) {
      const spec = baseSpec();
      spec.workspace.mutable = [path];
      const errors = fieldErrors(check(spec));
      assert.equal(errors[0]!.path, 'workspace.mutable[0]');
      assert.match(errors[0]!.message, problem);
    }
  });

  it('rejects a mutable file that does not exist', () => {
    const spec = baseSpec();
    spec.workspace.mutable = ['model.py'];
    const [error] = fieldErrors(check(spec));
    assert.deepEqual(error, { path: 'workspace.mutable[0]', message: '"model.py" is not a file in the workspace' });
  });

  it('rejects unknown fields, naming the known ones', () => {
    const spec = baseSpec();
    spec.run.budget_seconds = 300;
    const [error] = fieldErrors(() => validateStudySpec(spec));
    assert.equal(error!.path, 'run.budget_seconds');
    assert.match(error!.message, /is not a known field \(known: command, budgetSeconds/);
  });

  it('reports every wrong field at once', () => {
    const spec = baseSpec();
    spec.flavor = 'rl';
    spec.objective.direction = 'down';
    spec.repeats = 0;
    const paths = fieldErrors(() => validateStudySpec(spec)).map((e) => e.path);
    assert.deepEqual(paths.sort(), ['flavor', 'objective.direction', 'repeats']);
  });

  it('checks the mutator variant by its kind', () => {
    const spec = baseSpec();
    spec.mutator.kind = 'random';
    assert.deepEqual(fieldErrors(() => validateStudySpec(spec)), [
      { path: 'mutator.kind', message: 'expected one of "params", "llm", got the string "random"' },
    ]);
    const wrongParam = baseSpec();
    wrongParam.mutator.params[1].min = 'four';
    assert.deepEqual(fieldErrors(() => validateStudySpec(wrongParam)), [
      { path: 'mutator.params[1].min', message: 'expected a number, got the string "four"' },
    ]);
  });

  it('requires a pattern for the regex source, and a valid one', () => {
    const spec = baseSpec();
    spec.run.metrics = { source: 'regex' };
    assert.deepEqual(fieldErrors(check(spec)), [{ path: 'run.metrics.pattern', message: 'is required when source is "regex"' }]);
    spec.run.metrics = { source: 'regex', pattern: 'val_bpb=(' };
    const [error] = fieldErrors(check(spec));
    assert.equal(error!.path, 'run.metrics.pattern');
    assert.match(error!.message, /not a valid regular expression/);
  });

  it('requires a confined file for the json-file source', () => {
    const spec = baseSpec();
    spec.run.metrics = { source: 'json-file', file: '../metrics.json' };
    const [error] = fieldErrors(check(spec));
    assert.equal(error!.path, 'run.metrics.file');
    assert.match(error!.message, /escapes the study folder/);
  });

  it('rejects a param whose constant is not in the script', () => {
    const spec = baseSpec();
    spec.mutator.params.push({ name: 'DROPOUT', file: 'train.js', min: 0, max: 0.5, scale: 'linear', step: 0.1 });
    const errors = fieldErrors(check(spec));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.path, /^mutator\.params\[2\]/);
    assert.match(errors[0]!.message, /DROPOUT/);
  });

  it('rejects a param on a file that is not mutable', () => {
    const spec = baseSpec();
    spec.mutator.params[0].file = 'prepare.py';
    const [error] = fieldErrors(check(spec));
    assert.equal(error!.path, 'mutator.params[0].file');
  });

  it('rejects an invalid deadline', () => {
    const spec = baseSpec();
    spec.stop = { deadline: 'tomorrow morning' };
    const [error] = fieldErrors(() => validateStudySpec(spec));
    assert.equal(error!.path, 'stop.deadline');
    assert.match(error!.message, /RFC 3339|date-time/);
  });

  it('explains a pattern in words where the spec gives them', () => {
    const spec = baseSpec();
    spec.objective.metric = '1 bad name';
    assert.deepEqual(fieldErrors(() => validateStudySpec(spec)), [
      { path: 'objective.metric', message: 'must match a name of letters, digits, _ . and -, starting with a letter or _, got the string "1 bad name"' },
    ]);
  });

  it('reports YAML syntax errors as errors of study.yaml', () => {
    const errors = fieldErrors(() => parseStudyYaml('name: [unclosed\nflavor: training'));
    assert.equal(errors[0]!.path, 'study.yaml');
  });

  it('does not mutate its input', () => {
    const spec = baseSpec();
    const copy = structuredClone(spec);
    validateStudySpec(spec);
    assert.deepEqual(spec, copy);
  });
});

describe('adaptive repeats in the spec', () => {
  it('needs the noise-aware rule and at least the repeats every experiment runs', () => {
    const strict = baseSpec();
    strict.decision = { rule: 'strict', maxRepeats: 4 };
    assert.deepEqual(fieldErrors(check(strict)), [{ path: 'decision.maxRepeats', message: 'adaptive repeats need rule "noise-aware": the strict rule does not look at the noise' }]);
    const few = baseSpec();
    few.repeats = 3;
    few.decision = { maxRepeats: 2 };
    assert.deepEqual(fieldErrors(check(few)), [{ path: 'decision.maxRepeats', message: 'is 2, fewer than the 3 repeats every experiment runs' }]);
    const fine = baseSpec();
    fine.decision = { maxRepeats: 8 };
    assert.doesNotThrow(check(fine));
  });
});

describe('confirmation, λ and adoption in the spec', () => {
  it('need 2 branches to adopt, and positive integers', () => {
    const one = baseSpec();
    one.search = { adoptEvery: 5 };
    assert.deepEqual(fieldErrors(check(one)), [{ path: 'search.adoptEvery', message: 'needs at least 2 branches to adopt from (search.branches is 1)' }]);
    const zero = baseSpec();
    zero.search = { branches: 2, candidatesPerHead: 0 };
    assert.equal(fieldErrors(check(zero))[0]?.path, 'search.candidatesPerHead');
    const fraction = baseSpec();
    fraction.decision = { confirmRuns: 1.5 };
    assert.equal(fieldErrors(check(fraction))[0]?.path, 'decision.confirmRuns');
    const fine = baseSpec();
    fine.search = { branches: 4, candidatesPerHead: 2, adoptEvery: 10 };
    fine.decision = { confirmRuns: 2 };
    assert.doesNotThrow(check(fine));
  });
});

describe('the example specs', () => {
  it('validate, and the GPU example makes a Kubernetes Job with one GPU', async () => {
    const { readFile } = await import('node:fs/promises');
    const { resolveKubernetesRun } = await import('../../services/controller/src/executors/kubernetes/build-job.js');
    for (const path of ['examples/tiny-lm/study.yaml', 'examples/tiny-lm/study-llm.yaml', 'examples/autoresearch-gpu/study.yaml', 'examples/skill-release-notes/study.yaml']) {
      const spec = validateStudySpec(parseStudyYaml(await readFile(path, 'utf8')));
      assert.ok(spec.name, path);
    }
    // The skill example against its own files: inputs, the skill, every eval's files.
    const { loadStudyFolder } = await import('../../services/controller/src/spec/load-study-folder.js');
    const skill = await loadStudyFolder('examples/skill-release-notes');
    assert.equal(skill.spec.skill?.evals.length, 4);
    const gpu = validateStudySpec(parseStudyYaml(await readFile('examples/autoresearch-gpu/study.yaml', 'utf8')));
    assert.equal(gpu.mutator.kind, 'llm');
    assert.equal(resolveKubernetesRun(gpu).gpus, 1);
  });
});
