// Checks of `stages` that the schema cannot express: unique names, budgets that never shrink from one
// stage to the next, GPU classes that run.kubernetes declares, and a promotion rule only where there is a
// next stage to promote to. Only training studies have stages.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import type { FieldError } from '../../../../schemas/src/validate.js';

export function checkStages(spec: StudySpec): FieldError[] {
  const stages = spec.stages;
  if (stages === undefined) return [];
  if (spec.flavor === 'skill') {
    return [{ path: 'stages', message: "is for training runs: a skill run's cost does not grow with a time budget, so there is nothing to screen cheaply" }];
  }
  const errors: FieldError[] = [];
  const classes = Object.keys(spec.run.kubernetes?.gpuClasses ?? {});
  stages.forEach((stage, i) => {
    const field = `stages[${i}]`;
    const first = stages.findIndex((other) => other.name === stage.name);
    if (first !== i) errors.push({ path: `${field}.name`, message: `"${stage.name}" is also the name of stages[${first}]; stage names must be unique` });
    const earlier = stages.slice(0, i).reduce<{ budget: number; at: number } | null>(
      (most, other, j) => (most === null || other.budgetSeconds > most.budget ? { budget: other.budgetSeconds, at: j } : most),
      null,
    );
    if (earlier !== null && stage.budgetSeconds < earlier.budget) {
      errors.push({
        path: `${field}.budgetSeconds`,
        message: `${stage.budgetSeconds} is less than stages[${earlier.at}].budgetSeconds (${earlier.budget}): a later stage must not have a smaller budget than an earlier one`,
      });
    }
    if (stage.gpuClass !== undefined && !classes.includes(stage.gpuClass)) {
      const known = classes.length > 0 ? classes.join(', ') : 'none declared';
      errors.push({ path: `${field}.gpuClass`, message: `"${stage.gpuClass}" is not one of run.kubernetes.gpuClasses (${known})` });
    }
    const promote = stage.promote;
    if (promote === undefined) return;
    if (i === stages.length - 1) {
      errors.push({ path: `${field}.promote`, message: 'the last stage decides keep or discard; only an earlier stage promotes to the next' });
      return;
    }
    if ((promote.rule ?? 'better-than-head-minus-noise') !== 'top-fraction') {
      for (const key of ['fraction', 'window'] as const) {
        if (promote[key] !== undefined) errors.push({ path: `${field}.promote.${key}`, message: 'is only used by rule "top-fraction"' });
      }
    }
  });
  return errors;
}
