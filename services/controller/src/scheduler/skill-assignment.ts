// The skill part of a run's assignment: which input the run writes an output for, and how it is scored.
// Run i of an experiment takes working input i mod n, so every experiment covers the inputs alike; a
// holdout run takes the holdout inputs the same way.
import { createHash } from 'node:crypto';
import type { SkillAssignment } from '../../../../schemas/src/messages.js';
import type { SkillInputSpec, SkillSpec } from '../../../../schemas/src/skill-spec.js';
import type { RevisionFile } from '../store/queries/revisions.js';
import type { RunRow } from '../store/schema.js';

export function buildSkillAssignment(
  skill: SkillSpec,
  run: Pick<RunRow, 'id' | 'role' | 'repeatIndex'>,
  /** The experiment's working runs: holdout runs are numbered after them. */
  workingRuns: number,
  files: RevisionFile[],
): SkillAssignment {
  const holdout = run.role === 'holdout';
  const pool = holdout ? skill.inputs.holdout : skill.inputs.working;
  if (pool.length === 0) throw new Error(`run ${run.id} is a ${run.role} run, but the study has no ${run.role} inputs`);
  const index = holdout ? run.repeatIndex - workingRuns : run.repeatIndex;
  const input = pool[((index % pool.length) + pool.length) % pool.length]!;
  return {
    file: skill.file,
    input: { name: input.name, text: inputText(input, files), holdout },
    evals: skill.evals,
    target: skill.target,
    judge: skill.judge,
    modelConcurrency: skill.modelConcurrency,
    retries: skill.retries,
    judgeTwice: skill.judgeConsistency !== undefined && sampled(run.id, skill.judgeConsistency.sample),
  };
}

/** Which input a run of this role and index writes for, without the files (for reports). */
export function skillInputName(skill: SkillSpec, role: RunRow['role'], indexInRole: number): string {
  const pool = role === 'holdout' ? skill.inputs.holdout : skill.inputs.working;
  return pool[indexInRole % pool.length]?.name ?? '';
}

function inputText(input: SkillInputSpec, files: RevisionFile[]): string {
  if (input.text !== undefined) return input.text;
  const file = files.find((f) => f.path === input.file);
  if (!file) throw new Error(`input ${input.name}: ${input.file} is not in the revision`);
  return file.content.toString('utf8');
}

/** A stable draw per run: the same run is always in, or always out of, the judge-consistency sample. */
function sampled(runId: string, fraction: number): boolean {
  const draw = createHash('sha256').update(runId).digest().readUInt32BE(0) / 2 ** 32;
  return draw < fraction;
}
