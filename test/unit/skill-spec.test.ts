// Skill study specs: the flavor's defaults, and every way a skill spec can be wrong, each named by its
// field with the reason (binary evals only, at most six, a judge needs its question, files stay inside).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { InvalidInputError } from '../../services/controller/src/errors.js';
import { assertSpecMatchesWorkspace, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { PREDICATE_MODULE, SKILL_MD, SKILL_STUDY_YAML } from '../support/skill-folder.js';

const baseSpec = () => parse(SKILL_STUDY_YAML) as Record<string, any>;
const files = [
  { path: 'SKILL.md', content: Buffer.from(SKILL_MD), mode: 0o644 },
  { path: 'inputs/beta.txt', content: Buffer.from('Beta text.'), mode: 0o644 },
  { path: 'evals/check.mjs', content: Buffer.from(PREDICATE_MODULE), mode: 0o644 },
  { path: 'evals/schema.json', content: Buffer.from('{"type":"object","required":["title"]}'), mode: 0o644 },
];

function errorsOf(spec: Record<string, any>): { path: string; message: string }[] {
  try {
    assertSpecMatchesWorkspace(validateStudySpec(spec), files);
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`);
    return error.fieldErrors;
  }
  assert.fail('expected the spec to be rejected');
}

const judge = (name: string, extra: Record<string, unknown> = {}) => ({
  name, kind: 'judge', question: `Is ${name} fine?`, pass: 'It is.', fail: 'It is not.', ...extra,
});

describe('skill study specs', () => {
  it('accepts the test spec and fills the skill defaults', () => {
    const spec = validateStudySpec(baseSpec());
    assert.deepEqual(spec.objective, { metric: 'pass_rate', direction: 'maximize' });
    assert.deepEqual(spec.workspace.mutable, ['SKILL.md']);
    assert.deepEqual(spec.stop.ceiling, { value: 0.95, consecutive: 3 });
    assert.equal(spec.repeats, 4);
    assert.equal(spec.run.command, undefined);
    assert.equal(spec.skill!.target.model, 'claude-haiku-4-5');
    assert.equal(spec.skill!.judge.model, 'claude-sonnet-4-6');
    assert.equal(spec.skill!.retries, 3);
    assert.equal(spec.mutator.kind === 'llm' && spec.mutator.maxDiffLines, 20);
    assert.doesNotThrow(() => assertSpecMatchesWorkspace(spec, files));
    const defaults = parse(SKILL_STUDY_YAML.replace('repeats: 4\n', '')) as Record<string, any>;
    assert.equal(validateStudySpec(defaults).repeats, 5, 'runs per experiment default to 5');
  });

  it('rejects 7 evals: more and the skill games them', () => {
    const spec = baseSpec();
    spec.skill.evals.push(judge('a'), judge('b'), judge('c'));
    assert.deepEqual(errorsOf(spec), [
      { path: 'skill.evals', message: 'has 7 evals; at most 6: with more, a skill starts gaming them instead of getting better' },
    ]);
  });

  it('rejects fewer than 3 evals', () => {
    const spec = baseSpec();
    spec.skill.evals = spec.skill.evals.slice(0, 2);
    assert.match(errorsOf(spec)[0]!.message, /has 2 evals; at least 3/);
  });

  it('rejects a 1-10 scale eval, in any of its forms, saying evals must be binary', () => {
    const forms: Record<string, unknown>[] = [
      judge('clarity', { question: 'How clear is the summary, on a scale of 1 to 10?' }),
      judge('clarity', { question: 'Rate the clarity from 1-10.' }),
      judge('clarity', { scale: 10 }),
      judge('clarity', { min: 1, max: 10 }),
      { name: 'clarity', kind: 'scale', question: 'Clarity?', min: 1, max: 10 },
    ];
    for (const form of forms) {
      const spec = baseSpec();
      spec.skill.evals[3] = form;
      const errors = errorsOf(spec);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(errors[0]!.path, /^skill\.evals\[3\]\./);
      assert.match(errors[0]!.message, /binary \(pass or fail\)/);
    }
  });

  it('rejects a judge eval without its question', () => {
    const spec = baseSpec();
    delete spec.skill.evals[3].question;
    assert.deepEqual(errorsOf(spec), [{ path: 'skill.evals[3].question', message: 'is required: a judge eval asks a yes/no question about the output' }]);
  });

  it('rejects a predicate module outside the workspace, absolute or missing', () => {
    const cases: [string, RegExp][] = [
      ['../outside.mjs', /"\.\.\/outside\.mjs" escapes the study folder: it must be a file inside the workspace/],
      ['/etc/check.mjs', /is absolute/],
      ['evals/missing.mjs', /"evals\/missing\.mjs" is not a file in the workspace/],
      ['inputs/beta.txt', /is not a \.js or \.mjs module/],
    ];
    for (const [module, message] of cases) {
      const spec = baseSpec();
      spec.skill.evals[2].module = module;
      const errors = errorsOf(spec);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.path, 'skill.evals[2].module');
      assert.match(errors[0]!.message, message);
    }
  });

  it('keeps the skill the one mutable file, and needs the llm mutator and no command', () => {
    const spec = baseSpec();
    spec.workspace = { mutable: ['SKILL.md', 'inputs/beta.txt'] };
    spec.mutator = { kind: 'params', params: [{ name: 'X', file: 'SKILL.md', min: 1, max: 2 }] };
    spec.run = { command: 'node train.js' };
    const paths = errorsOf(spec).map((e) => e.path);
    for (const path of ['workspace.mutable', 'mutator.kind', 'run.command']) assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
  });

  it('checks inputs: one of text or file, files inside, unique names, and enough runs to cover them', () => {
    const spec = baseSpec();
    spec.skill.inputs.working.push({ name: 'alpha', text: 'again' }, { name: 'delta' }, { name: 'epsilon', file: '../secret.txt' });
    const errors = errorsOf(spec);
    assert.deepEqual(errors.map((e) => e.path), [
      'skill.inputs.working[2].name', 'skill.inputs.working[3]', 'skill.inputs.working[4].file', 'repeats',
    ]);
    assert.match(errors[3]!.message, /is 4, fewer than the 5 working inputs/);
  });

  it('needs enough holdout runs to cover every holdout input', () => {
    const spec = baseSpec();
    spec.skill.inputs.holdout.push({ name: 'delta', text: 'x' }, { name: 'epsilon', text: 'y' });
    spec.skill.holdoutRuns = 2;
    assert.deepEqual(errorsOf(spec), [
      { path: 'skill.holdoutRuns', message: 'is 2, fewer than the 3 holdout inputs, so some would never run; use at least 3' },
    ]);
  });

  it('checks eval details: unique names, a compiling regex, bounds, JSON Schemas', () => {
    const spec = baseSpec();
    spec.skill.evals = [
      { name: 'a', kind: 'regex', pattern: '(unclosed' },
      { name: 'a', kind: 'length', unit: 'words' },
      { name: 'b', kind: 'length', min: 10, max: 5 },
      { name: 'c', kind: 'json', schema: { type: 'no-such-type' } },
      { name: 'd', kind: 'json', schemaFile: 'evals/schema.json' },
    ];
    assert.deepEqual(errorsOf(spec).map((e) => e.path), [
      'skill.evals[0].pattern', 'skill.evals[1].name', 'skill.evals[1]', 'skill.evals[2].min', 'skill.evals[3].schema',
    ]);
  });

  it('refuses early stopping: a skill run has no curve', () => {
    const spec = baseSpec();
    spec.earlyStopping = { rule: 'median' };
    assert.deepEqual(errorsOf(spec).map((e) => e.path), ['earlyStopping']);
    const remeasured = baseSpec();
    remeasured.decision = { remeasureEvery: 5 };
    assert.deepEqual(errorsOf(remeasured).map((e) => e.path), ['decision.remeasureEvery'], 'nor a re-measured noise: it is binomial');
  });

  it('refuses confirmation runs, λ candidates per head and adoption, which compare run values', () => {
    const spec = baseSpec();
    spec.decision = { confirmRuns: 2 };
    spec.search = { branches: 2, candidatesPerHead: 2, adoptEvery: 4 };
    assert.deepEqual(errorsOf(spec).map((e) => e.path), ['decision.confirmRuns', 'search.candidatesPerHead', 'search.adoptEvery']);
  });

  it('a training study may not carry a skill section', () => {
    const training = parse(SKILL_STUDY_YAML) as Record<string, any>;
    training.flavor = 'training';
    training.objective = { metric: 'x', direction: 'minimize' };
    training.workspace = { mutable: ['SKILL.md'] };
    training.run = { command: 'true' };
    assert.ok(errorsOf(training).some((e) => e.path === 'skill'));
  });
});
