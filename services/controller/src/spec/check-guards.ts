// Checks of `guards` that the schema cannot express: each guard is exactly one check, names are unique,
// a timeout belongs to a command, and only training studies have them.
import type { GuardSpec, StudySpec } from '../../../../schemas/src/study-spec.js';
import type { FieldError } from '../../../../schemas/src/validate.js';

const CHECKS = ['command', 'maxPeakMemoryMb', 'maxRunSeconds'] as const;

export function checkGuards(spec: StudySpec): FieldError[] {
  const guards = spec.guards ?? [];
  if (guards.length === 0) return [];
  if (spec.flavor === 'skill') {
    // A skill run executes no command to check after; what a guard would check is an eval's job (a
    // predicate eval runs code of the workspace on the output, in the run's directory).
    return [{ path: 'guards', message: "is for training runs: a skill study's checks are its binary evals (a predicate eval can run code on the output)" }];
  }
  const errors: FieldError[] = [];
  guards.forEach((guard, i) => {
    const field = `guards[${i}]`;
    const first = guards.findIndex((other) => other.name === guard.name);
    if (first !== i) errors.push({ path: `${field}.name`, message: `"${guard.name}" is also the name of guards[${first}]; guard names must be unique` });
    errors.push(...checkOneGuard(guard, field));
  });
  return errors;
}

function checkOneGuard(guard: GuardSpec, field: string): FieldError[] {
  const given = CHECKS.filter((check) => guard[check] !== undefined);
  if (given.length === 0) {
    return [{ path: field, message: `guard "${guard.name}" checks nothing: give it one of command, maxPeakMemoryMb or maxRunSeconds` }];
  }
  const errors: FieldError[] = given.slice(1).map((check) => ({
    path: `${field}.${check}`,
    message: `cannot be given with ${given[0]}: a guard is one check, so declare it as a guard of its own`,
  }));
  if (guard.command !== undefined && guard.command.trim() === '') errors.push({ path: `${field}.command`, message: 'must not be blank' });
  if (guard.timeoutSeconds !== undefined && guard.command === undefined) {
    errors.push({ path: `${field}.timeoutSeconds`, message: 'is only used by a command guard' });
  }
  return errors;
}
