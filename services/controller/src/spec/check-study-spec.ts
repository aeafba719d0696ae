// Checks of a study spec that a schema cannot express: paths confined to the folder, files that exist,
// a metrics source that is complete, params that match the script. Pure: it reads only what it is given.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import type { FieldError } from '../../../../schemas/src/validate.js';
import { confineWorkspacePath } from '../revisions/workspace-path.js';
import { checkParamsAgainstFiles } from '../mutators/params/params-mutator.js';
import { checkGuards } from './check-guards.js';
import { checkSkillSpec } from './check-skill-spec.js';
import { checkStages } from './check-stages.js';
import { stagesOf } from './stages.js';

export function checkStudySpec(spec: StudySpec, files: ReadonlyMap<string, Buffer>): FieldError[] {
  const errors: FieldError[] = [];

  spec.workspace.mutable.forEach((path, i) => {
    const field = `workspace.mutable[${i}]`;
    const confined = confineWorkspacePath(path);
    if (!confined.ok) errors.push({ path: field, message: confined.problem });
    else if (!files.has(confined.path)) errors.push({ path: field, message: `"${path}" is not a file in the workspace` });
    else if (spec.workspace.mutable.indexOf(path) !== i) errors.push({ path: field, message: `"${path}" is listed twice` });
  });
  spec.workspace.exclude.forEach((path, i) => {
    const confined = confineWorkspacePath(path);
    if (!confined.ok) errors.push({ path: `workspace.exclude[${i}]`, message: confined.problem });
  });
  if (spec.workspace.instructions !== undefined) {
    const confined = confineWorkspacePath(spec.workspace.instructions);
    if (!confined.ok) errors.push({ path: 'workspace.instructions', message: confined.problem });
    else if (!files.has(confined.path)) errors.push({ path: 'workspace.instructions', message: `"${spec.workspace.instructions}" is not a file in the workspace` });
  }

  if (spec.flavor === 'skill') {
    errors.push(...checkSkillSpec(spec, files));
  } else {
    if (spec.run.command === undefined) errors.push({ path: 'run.command', message: 'is required: the command that runs one experiment, such as "python train.py"' });
    if (spec.skill !== undefined) errors.push({ path: 'skill', message: 'is only used by a "skill" study; set flavor: skill or remove it' });
    errors.push(...checkMetricsSource(spec));
  }
  if (spec.mutator.kind === 'params' && errors.every((e) => !e.path.startsWith('workspace.mutable'))) {
    const mutableText: Record<string, string> = {};
    for (const path of spec.workspace.mutable) mutableText[path] = files.get(path)?.toString('utf8') ?? '';
    for (const [i, param] of spec.mutator.params.entries()) {
      if (!spec.workspace.mutable.includes(param.file)) {
        errors.push({ path: `mutator.params[${i}].file`, message: `"${param.file}" is not one of workspace.mutable, so it cannot be changed` });
      }
    }
    if (errors.length === 0) {
      for (const message of checkParamsAgainstFiles(spec.mutator, mutableText)) {
        const match = /^(mutator\.params\[\d+\][^:]*?)(?: \([^)]*\))?: (.*)$/s.exec(message);
        errors.push(match ? { path: match[1]!, message: match[2]! } : { path: 'mutator.params', message });
      }
    }
  }

  errors.push(...checkGuards(spec));
  errors.push(...checkStages(spec));
  if (spec.earlyStopping !== undefined && spec.flavor === 'skill') {
    errors.push({ path: 'earlyStopping', message: 'is for training runs, which print a curve; a skill run is one model call with nothing to stop early' });
  }
  if (spec.decision.remeasureEvery !== undefined && spec.flavor === 'skill') {
    errors.push({ path: 'decision.remeasureEvery', message: "is for training runs: a skill study's noise is the binomial variance of its pass rate, known without re-measuring" });
  }
  if (spec.flavor === 'skill') {
    const skillRefuses: [string, unknown, string][] = [
      ['decision.confirmRuns', spec.decision.confirmRuns, "is for training runs: a skill edit's pass rate is decided by the binomial test on every output"],
      ['search.candidatesPerHead', spec.search.candidatesPerHead, 'is for training runs: a skill branch makes one edit at a time, aimed at its head\'s failures'],
      ['search.adoptEvery', spec.search.adoptEvery, 'is for training runs: skill branches are compared by pass rate, not by run values'],
    ];
    for (const [path, value, message] of skillRefuses) if (value !== undefined) errors.push({ path, message });
  }
  if (spec.search.adoptEvery !== undefined && spec.search.branches < 2) {
    errors.push({ path: 'search.adoptEvery', message: `needs at least 2 branches to adopt from (search.branches is ${spec.search.branches})` });
  }
  const { maxRepeats, rule } = spec.decision;
  if (maxRepeats !== undefined && rule !== 'noise-aware') {
    errors.push({ path: 'decision.maxRepeats', message: 'adaptive repeats need rule "noise-aware": the strict rule does not look at the noise' });
  } else if (maxRepeats !== undefined && maxRepeats < stagesOf(spec).at(-1)!.repeats) {
    // With stages, adaptive repeats apply at the last stage, which runs its own repeats.
    const repeats = stagesOf(spec).at(-1)!.repeats;
    errors.push({ path: 'decision.maxRepeats', message: `is ${maxRepeats}, fewer than the ${repeats} repeats every experiment runs${spec.stages ? ' at its last stage' : ''}` });
  }

  const { stop } = spec;
  if (stop.deadline !== undefined && Number.isNaN(Date.parse(stop.deadline))) {
    errors.push({ path: 'stop.deadline', message: `"${stop.deadline}" is not an RFC 3339 time` });
  }
  return errors;
}

function checkMetricsSource(spec: StudySpec): FieldError[] {
  const { metrics } = spec.run;
  const errors: FieldError[] = [];
  if (metrics.source === 'regex') {
    if (metrics.pattern === undefined) errors.push({ path: 'run.metrics.pattern', message: 'is required when source is "regex"' });
    else {
      try {
        new RegExp(metrics.pattern);
      } catch (error) {
        errors.push({ path: 'run.metrics.pattern', message: `is not a valid regular expression: ${(error as Error).message}` });
      }
    }
  } else if (metrics.pattern !== undefined) {
    errors.push({ path: 'run.metrics.pattern', message: 'is only used when source is "regex"' });
  }
  if (metrics.source === 'json-file') {
    if (metrics.file === undefined) errors.push({ path: 'run.metrics.file', message: 'is required when source is "json-file"' });
    else {
      const confined = confineWorkspacePath(metrics.file);
      if (!confined.ok) errors.push({ path: 'run.metrics.file', message: confined.problem });
    }
  } else if (metrics.file !== undefined) {
    errors.push({ path: 'run.metrics.file', message: 'is only used when source is "json-file"' });
  }
  return errors;
}
