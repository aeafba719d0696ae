// What the mutator of a skill study reads about its head: per-eval failure rates over the head's outputs,
// the most common failing eval, and a few failing outputs with the evidence the judge quoted.
import type { SkillEvalSpec, SkillSpec } from '../../../../schemas/src/skill-spec.js';
import type { SkillEvidence } from '../mutators/mutator.js';
import type { BranchRow } from '../store/schema.js';
import type { Store } from '../store/store.js';

const EXAMPLES = 3;
const EXAMPLE_CHARS = 1500;

export async function gatherSkillEvidence(store: Store, studyId: string, skill: SkillSpec, branch: BranchRow): Promise<SkillEvidence | undefined> {
  if (branch.headExperimentId === null) return undefined;
  const outputs = (await store.listSkillOutputs({ studyId, experimentIds: [branch.headExperimentId] })).filter((o) => !o.holdout);
  const runs = (await store.listRuns(branch.headExperimentId)).filter((r) => r.role === 'working');
  const scored = runs.length;
  const failed = new Map(skill.evals.map((e) => [e.name, 0]));
  const byInput = new Map<string, { passes: number; trials: number }>();
  const examples: SkillEvidence['examples'] = [];
  const byRun = new Map(outputs.map((o) => [o.runId, o]));
  for (const run of runs) {
    const output = byRun.get(run.id);
    const succeeded = run.status === 'succeeded' && output !== undefined;
    const input = output?.input ?? '(no output)';
    const tally = byInput.get(input) ?? { passes: 0, trials: 0 };
    const failedHere: SkillEvidence['examples'][number]['failed'] = [];
    for (const check of skill.evals) {
      const verdict = succeeded ? output.verdicts.find((v) => v.eval === check.name) : undefined;
      tally.trials += 1;
      if (verdict?.pass === true) {
        tally.passes += 1;
        continue;
      }
      failed.set(check.name, (failed.get(check.name) ?? 0) + 1);
      failedHere.push({
        eval: check.name,
        evidence: verdict?.evidence ?? '',
        reason: verdict?.reason ?? (succeeded ? null : run.reason ?? `the run ${run.status}`),
      });
    }
    byInput.set(input, tally);
    if (failedHere.length > 0) examples.push({ input, output: (output?.output ?? '').slice(0, EXAMPLE_CHARS), failed: failedHere });
  }
  const failuresByEval = [...failed].map(([name, count]) => ({ name, failed: count })).sort((a, b) => b.failed - a.failed);
  const top = failuresByEval[0]?.failed ? failuresByEval[0].name : null;
  // Outputs failing the top eval first, one per input while there are other inputs to show.
  const ordered = [...examples].sort((a, b) => Number(b.failed.some((f) => f.eval === top)) - Number(a.failed.some((f) => f.eval === top)));
  const picked: SkillEvidence['examples'] = [];
  for (const example of ordered) if (picked.length < EXAMPLES && !picked.some((p) => p.input === example.input)) picked.push(example);
  for (const example of ordered) if (picked.length < EXAMPLES && !picked.includes(example)) picked.push(example);
  return {
    evals: skill.evals.map((e) => ({ name: e.name, kind: e.kind, checks: describeEval(e) })),
    outputs: scored,
    failuresByEval,
    byInput: [...byInput].map(([name, tally]) => ({ name, ...tally })),
    examples: picked,
  };
}

/** What an eval checks, in a line. */
export function describeEval(check: SkillEvalSpec): string {
  const own = check.description ? ` (${check.description})` : '';
  switch (check.kind) {
    case 'regex':
      return `the output ${check.mustMatch ? 'must match' : 'must not match'} /${check.pattern}/${check.flags}${own}`;
    case 'contains':
      return `the output ${check.mustContain ? 'must contain one of' : 'must contain none of'} ${check.any.map((s) => JSON.stringify(s)).join(', ')}${check.caseSensitive ? ' (case-sensitive)' : ''}${own}`;
    case 'length': {
      const bounds = [check.min !== undefined ? `at least ${check.min}` : '', check.max !== undefined ? `at most ${check.max}` : ''].filter(Boolean).join(' and ');
      return `the output has ${bounds} ${check.unit}${own}`;
    }
    case 'json':
      return `the output is valid JSON${check.schema || check.schemaFile ? ' matching a JSON Schema' : ''}${own}`;
    case 'predicate':
      return `a check in ${check.module} passes${own}`;
    case 'judge':
      return `a judge answers yes to: ${check.question} Pass: ${check.pass} Fail: ${check.fail}${own}`;
  }
}
