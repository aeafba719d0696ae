// Checks of a skill study that a schema cannot express: the skill is the one mutable file, inputs and
// eval files are read-only files of the workspace, eval names are unique, patterns and JSON Schemas
// compile, and a predicate module stays inside the workspace.
import { Ajv } from 'ajv';
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import type { FieldError } from '../../../../schemas/src/validate.js';
import { confineWorkspacePath } from '../revisions/workspace-path.js';
import { SKILL_METRIC } from './flavor-defaults.js';

export function checkSkillSpec(spec: StudySpec, files: ReadonlyMap<string, Buffer>): FieldError[] {
  const errors: FieldError[] = [];
  const skill = spec.skill;
  if (skill === undefined) return [{ path: 'skill', message: 'is required for a "skill" study: the skill file, its test inputs and its evals' }];
  if (spec.run.command !== undefined) {
    errors.push({ path: 'run.command', message: 'is not used by a skill study: a skill run is the model writing one output, scored by the evals' });
  }
  if (spec.mutator.kind !== 'llm') {
    errors.push({ path: 'mutator.kind', message: 'must be "llm" for a skill study: a prompt is improved by edits a model proposes' });
  }
  if (spec.objective.metric !== SKILL_METRIC || spec.objective.direction !== 'maximize') {
    errors.push({ path: 'objective', message: `a skill study maximizes ${SKILL_METRIC}; leave objective out or set metric ${SKILL_METRIC}, direction maximize` });
  }

  const skillFile = existingFile(skill.file, 'skill.file', files, errors);
  if (skillFile !== null && (spec.workspace.mutable.length !== 1 || confineWorkspacePath(spec.workspace.mutable[0]!).ok === false ||
      (confineWorkspacePath(spec.workspace.mutable[0]!) as { path: string }).path !== skillFile)) {
    errors.push({ path: 'workspace.mutable', message: `must be exactly [${skill.file}]: the skill is the only file a skill study changes` });
  }

  const inputNames = new Set<string>();
  const inputs = [
    ...skill.inputs.working.map((input, i) => ({ input, path: `skill.inputs.working[${i}]` })),
    ...skill.inputs.holdout.map((input, i) => ({ input, path: `skill.inputs.holdout[${i}]` })),
  ];
  for (const { input, path } of inputs) {
    if (inputNames.has(input.name)) errors.push({ path: `${path}.name`, message: `"${input.name}" names another input too; input names must be unique` });
    inputNames.add(input.name);
    if ((input.text === undefined) === (input.file === undefined)) {
      errors.push({ path, message: 'needs exactly one of text (the input inline) or file (a file of the workspace)' });
    } else if (input.file !== undefined) {
      const file = existingFile(input.file, `${path}.file`, files, errors);
      if (file !== null && file === skillFile) errors.push({ path: `${path}.file`, message: 'is the skill file; an input must be a read-only file' });
    }
  }
  if (skill.holdoutRuns !== undefined && skill.inputs.holdout.length === 0) {
    errors.push({ path: 'skill.holdoutRuns', message: 'is set but there are no holdout inputs to run' });
  } else if (skill.inputs.holdout.length > 0 && (skill.holdoutRuns ?? spec.repeats) < skill.inputs.holdout.length) {
    const runs = skill.holdoutRuns ?? spec.repeats;
    errors.push({
      path: 'skill.holdoutRuns',
      message: `is ${runs}${skill.holdoutRuns === undefined ? ' (repeats)' : ''}, fewer than the ${skill.inputs.holdout.length} holdout inputs, so some would never run; use at least ${skill.inputs.holdout.length}`,
    });
  }
  if (spec.repeats < skill.inputs.working.length) {
    errors.push({ path: 'repeats', message: `is ${spec.repeats}, fewer than the ${skill.inputs.working.length} working inputs, so some inputs would never run; use at least ${skill.inputs.working.length}` });
  }

  const evalNames = new Set<string>();
  skill.evals.forEach((check, i) => {
    const path = `skill.evals[${i}]`;
    if (evalNames.has(check.name)) errors.push({ path: `${path}.name`, message: `"${check.name}" names another eval too; eval names must be unique` });
    evalNames.add(check.name);
    switch (check.kind) {
      case 'regex':
        try {
          new RegExp(check.pattern, check.flags);
        } catch (error) {
          errors.push({ path: `${path}.pattern`, message: `is not a valid regular expression: ${(error as Error).message}` });
        }
        break;
      case 'length':
        if (check.min === undefined && check.max === undefined) errors.push({ path, message: 'needs min, max or both' });
        else if (check.min !== undefined && check.max !== undefined && check.min > check.max) {
          errors.push({ path: `${path}.min`, message: `${check.min} is more than max ${check.max}` });
        }
        break;
      case 'json':
        errors.push(...checkJsonSchema(check, path, files));
        break;
      case 'predicate': {
        const module = existingFile(check.module, `${path}.module`, files, errors);
        if (module !== null && !/\.(m?js)$/.test(module)) errors.push({ path: `${path}.module`, message: `"${check.module}" is not a .js or .mjs module` });
        else if (module !== null && module === skillFile) errors.push({ path: `${path}.module`, message: 'is the skill file, which the loop changes' });
        break;
      }
      case 'judge':
      case 'contains':
        break;
    }
  });
  if (skill.judgeConsistency !== undefined && !skill.evals.some((check) => check.kind === 'judge')) {
    errors.push({ path: 'skill.judgeConsistency', message: 'needs at least one judge eval to check' });
  }
  return errors;
}

/** The confined path of a file that must exist in the workspace, or null with the problem recorded. */
function existingFile(path: string, field: string, files: ReadonlyMap<string, Buffer>, errors: FieldError[]): string | null {
  const confined = confineWorkspacePath(path);
  if (!confined.ok) {
    errors.push({ path: field, message: `${confined.problem}: it must be a file inside the workspace` });
    return null;
  }
  if (!files.has(confined.path)) {
    errors.push({ path: field, message: `"${path}" is not a file in the workspace` });
    return null;
  }
  return confined.path;
}

function checkJsonSchema(check: { schema?: Record<string, unknown>; schemaFile?: string }, path: string, files: ReadonlyMap<string, Buffer>): FieldError[] {
  const errors: FieldError[] = [];
  if (check.schema !== undefined && check.schemaFile !== undefined) {
    return [{ path, message: 'give schema (inline) or schemaFile, not both' }];
  }
  let schema: unknown = check.schema;
  let field = `${path}.schema`;
  if (check.schemaFile !== undefined) {
    field = `${path}.schemaFile`;
    const file = existingFile(check.schemaFile, field, files, errors);
    if (file === null) return errors;
    try {
      schema = JSON.parse(files.get(file)!.toString('utf8'));
    } catch (error) {
      return [{ path: field, message: `"${check.schemaFile}" is not valid JSON: ${(error as Error).message}` }];
    }
  }
  if (schema === undefined) return errors;
  try {
    new Ajv({ allErrors: true, strict: false }).compile(schema as object);
  } catch (error) {
    errors.push({ path: field, message: `is not a valid JSON Schema: ${(error as Error).message}` });
  }
  return errors;
}
