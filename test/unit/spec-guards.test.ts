// spec.guards: a bad guard is rejected before anything is written, with the field named; a good one reaches
// the agent's assignment (command guards only, with the default timeout) and the Kubernetes Job's deadline.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { activeDeadlineSeconds } from '../../services/controller/src/executors/kubernetes/build-job.js';
import { InvalidInputError } from '../../services/controller/src/errors.js';
import { commandGuardsOf } from '../../services/controller/src/scheduler/run-assignment.js';
import { assertSpecMatchesWorkspace, loadStudyFolder, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { makeSkillFolder, SKILL_STUDY_YAML } from '../support/skill-folder.js';
import { SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

const workspace = [{ path: 'train.js', content: Buffer.from(SURROGATE_SCRIPT), mode: 0o644 }];
const withGuards = (guards: unknown) => ({ ...(parse(SURROGATE_SPEC) as Record<string, unknown>), guards });

function fieldErrors(guards: unknown): { path: string; message: string }[] {
  try {
    assertSpecMatchesWorkspace(validateStudySpec(withGuards(guards)), workspace);
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`);
    return error.fieldErrors;
  }
  assert.fail('expected the spec to be rejected');
}

describe('spec.guards', () => {
  it('accepts command and limit guards', () => {
    const spec = validateStudySpec(withGuards([
      { name: 'tests', command: 'node test.js', timeoutSeconds: 120 },
      { name: 'memory', maxPeakMemoryMb: 40000 },
      { name: 'speed', maxRunSeconds: 330 },
    ]));
    assert.doesNotThrow(() => assertSpecMatchesWorkspace(spec, workspace));
    assert.equal(spec.guards?.length, 3);
  });

  it('rejects each bad guard, naming the field', () => {
    const cases: [unknown, { path: string; message: RegExp }][] = [
      [[{ name: 'tests', command: 'a' }, { name: 'tests', maxRunSeconds: 5 }], { path: 'guards[1].name', message: /^"tests" is also the name of guards\[0\]; guard names must be unique$/ }],
      [[{ name: 'both', command: 'npm test', maxPeakMemoryMb: 100 }], { path: 'guards[0].maxPeakMemoryMb', message: /^cannot be given with command: a guard is one check/ }],
      [[{ name: 'limits', maxPeakMemoryMb: 100, maxRunSeconds: 5 }], { path: 'guards[0].maxRunSeconds', message: /cannot be given with maxPeakMemoryMb/ }],
      [[{ name: 'nothing' }], { path: 'guards[0]', message: /^guard "nothing" checks nothing: give it one of command, maxPeakMemoryMb or maxRunSeconds$/ }],
      [[{ name: 'empty', command: '' }], { path: 'guards[0].command', message: /^must not be empty$/ }],
      [[{ name: 'blank', command: '   ' }], { path: 'guards[0].command', message: /^must not be blank$/ }],
      [[{ name: 'zero', command: 'true', timeoutSeconds: 0 }], { path: 'guards[0].timeoutSeconds', message: /^must be greater than 0, got 0$/ }],
      [[{ name: 'long', command: 'true', timeoutSeconds: 90_000 }], { path: 'guards[0].timeoutSeconds', message: /^must be at most 86400, got 90000$/ }],
      [[{ name: 'timeout-only', maxRunSeconds: 5, timeoutSeconds: 10 }], { path: 'guards[0].timeoutSeconds', message: /^is only used by a command guard$/ }],
      [[{ name: 'bad name!', command: 'true' }], { path: 'guards[0].name', message: /letters, digits/ }],
      [[{ name: 'typo', comand: 'true' }], { path: 'guards[0].comand', message: /^is not a known field \(known: name, command, timeoutSeconds, maxPeakMemoryMb, maxRunSeconds\)$/ }],
    ];
    for (const [guards, expected] of cases) {
      const errors = fieldErrors(guards);
      const error = errors.find((e) => e.path === expected.path);
      assert.ok(error, `${JSON.stringify(guards)}: expected an error at ${expected.path}, got ${JSON.stringify(errors)}`);
      assert.match(error.message, expected.message, JSON.stringify(guards));
    }
  });

  it('refuses guards in a skill study, whose checks are its evals', async () => {
    const dir = await makeSkillFolder(`${SKILL_STUDY_YAML}guards:\n  - { name: tests, command: "true" }\n`);
    try {
      await assert.rejects(loadStudyFolder(dir), (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.deepEqual(error.fieldErrors.map((e) => e.path), ['guards']);
        assert.match(error.fieldErrors[0]!.message, /is for training runs/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('hands the agent the command guards with their timeouts (60 s by default), and the Job a deadline that covers them', () => {
    const spec = validateStudySpec(withGuards([
      { name: 'tests', command: 'node test.js' },
      { name: 'memory', maxPeakMemoryMb: 40000 },
      { name: 'lint', command: 'eslint .', timeoutSeconds: 30 },
    ]));
    assert.deepEqual(commandGuardsOf(spec), [
      { name: 'tests', command: 'node test.js', timeoutSeconds: 60 },
      { name: 'lint', command: 'eslint .', timeoutSeconds: 30 },
    ]);
    const unguarded = validateStudySpec(parse(SURROGATE_SPEC));
    // Each command guard adds its timeout and the 5 s before its SIGKILL.
    assert.equal(activeDeadlineSeconds(spec, 300) - activeDeadlineSeconds(unguarded, 300), 60 + 5 + 30 + 5);
  });
});
