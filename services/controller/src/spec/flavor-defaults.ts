// Defaults that depend on the flavor, applied to the raw spec before the schema's own defaults. A skill
// study may leave out what is the same for every skill study: its objective is the pass rate, it runs each
// experiment 5 times, it stops at 95% for 3 experiments in a row, its one mutable file is the skill, and
// its mutator makes small edits, one at a time.

export const SKILL_METRIC = 'pass_rate';
export const SKILL_REPEATS = 5;
export const SKILL_CEILING = { value: 0.95, consecutive: 3 };
/** A skill edit is one instruction, not a rewrite: the diff stays small. */
export const SKILL_MAX_DIFF_LINES = 20;

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `raw` with the skill flavor's defaults filled in; any other input is returned as it is. */
export function applyFlavorDefaults(raw: unknown): unknown {
  if (!isRecord(raw) || raw.flavor !== 'skill') return raw;
  const spec: Raw = structuredClone(raw);
  spec.objective ??= { metric: SKILL_METRIC, direction: 'maximize' };
  spec.repeats ??= SKILL_REPEATS;
  const skillFile = isRecord(spec.skill) && typeof spec.skill.file === 'string' ? spec.skill.file : undefined;
  if (skillFile !== undefined) {
    if (spec.workspace === undefined) spec.workspace = { mutable: [skillFile] };
    else if (isRecord(spec.workspace)) spec.workspace.mutable ??= [skillFile];
  }
  if (spec.stop === undefined) spec.stop = { ceiling: { ...SKILL_CEILING } };
  else if (isRecord(spec.stop)) spec.stop.ceiling ??= { ...SKILL_CEILING };
  if (isRecord(spec.mutator) && spec.mutator.kind === 'llm') {
    spec.mutator.maxDiffLines ??= SKILL_MAX_DIFF_LINES;
    // No proposals made ahead: a skill run costs a few model calls, not a GPU, so a slot may wait for the
    // mutator; and a proposal made ahead targets the failures of a head that the running experiment may
    // replace, then runs on that stale head.
    spec.mutator.ahead ??= 0;
  }
  // A skill run calls a model and needs no GPU; on Kubernetes it asks for none unless told to.
  if (isRecord(spec.run) && isRecord(spec.run.kubernetes)) spec.run.kubernetes.gpus ??= 0;
  return spec;
}
