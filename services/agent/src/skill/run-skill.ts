// The work of one skill run once its directory is ready: the target writes the output, then every eval
// scores it. Failures become facts for skill-result.ts, never exceptions.
import type { EvalVerdict, SkillAssignment } from '../../../../schemas/src/messages.js';
import { evaluateOutput } from './evaluate-output.js';
import { createLimiter } from './limiter.js';
import type { ModelCaller } from './model-caller.js';
import { callTarget } from './target-call.js';
import { countWords } from './text-evals.js';

export interface SkillWorkContext {
  skill: SkillAssignment;
  /** The skill file's text: the system prompt. */
  system: string;
  workdir: string;
  env: Record<string, string>;
  model: ModelCaller;
  signal: AbortSignal;
  log: (line: string) => void;
  predicateTimeoutMs?: number;
}

export interface SkillWork {
  output?: string;
  targetProblem?: string;
  verdicts: EvalVerdict[];
  evalProblems: string[];
}

export async function runSkill(context: SkillWorkContext): Promise<SkillWork> {
  const { skill, log } = context;
  const { model, maxTokens } = skill.target;
  log(`target ${model}: writing the output for input ${skill.input.name}${skill.input.holdout ? ' (holdout)' : ''}, max_tokens ${maxTokens}`);
  let output: string;
  try {
    const answer = await callTarget(context.model, skill.target, context.system, skill.input.text);
    output = answer.text;
    log(`target ${model}: ${countWords(output)} words, ${output.length} characters, stop reason ${answer.stopReason ?? 'none'}`);
  } catch (error) {
    log(`target ${model} failed: ${(error as Error).message}`);
    return { targetProblem: (error as Error).message, verdicts: [], evalProblems: [] };
  }
  if (context.signal.aborted) return { output, verdicts: [], evalProblems: [] };

  const judges = skill.evals.filter((spec) => spec.kind === 'judge').length;
  if (judges > 0) log(`judge ${skill.judge.model}: ${judges * (skill.judgeTwice ? 2 : 1)} judgements, at most ${skill.modelConcurrency} at once`);
  const { verdicts, problems } = await evaluateOutput(skill.evals, {
    output,
    input: { name: skill.input.name, text: skill.input.text },
    workdir: context.workdir,
    env: context.env,
    judge: skill.judge,
    retries: skill.retries,
    judgeTwice: skill.judgeTwice,
    model: context.model,
    limit: createLimiter(skill.modelConcurrency),
    signal: context.signal,
    log,
    ...(context.predicateTimeoutMs !== undefined && { predicateTimeoutMs: context.predicateTimeoutMs }),
  });
  const passes = verdicts.filter((verdict) => verdict.pass).length;
  log(`verdicts: ${passes} of ${verdicts.length} passed${problems.length > 0 ? `, ${problems.length} without a valid verdict` : ''}`);
  return { output, verdicts, evalProblems: problems };
}
