// Every eval of the run on its one output, at once: code evals on the agent (predicates in their own
// process), judge evals as model calls through the run's limiter, each judged twice for a consistency
// sample. One verdict per eval, in the spec's order; an eval that could not reach a verdict is a fail
// and a problem that makes the run crash.
import type { EvalVerdict } from '../../../../schemas/src/messages.js';
import type { JudgeEvalSpec, SkillEvalSpec, SkillModelSpec } from '../../../../schemas/src/skill-spec.js';
import { judgeOutput } from './judge-eval.js';
import { evaluateJson } from './json-eval.js';
import type { Limiter } from './limiter.js';
import type { ModelCaller } from './model-caller.js';
import { evaluatePredicate } from './predicate-eval.js';
import { evaluateContains, evaluateLength, evaluateRegex } from './text-evals.js';
import { clip, failVerdict } from './verdict.js';

export interface EvaluationContext {
  output: string;
  input: { name: string; text: string };
  workdir: string;
  /** The experiment's environment, for predicates. */
  env: Record<string, string>;
  judge: SkillModelSpec;
  retries: number;
  judgeTwice: boolean;
  model: ModelCaller;
  limit: Limiter;
  signal: AbortSignal;
  log: (line: string) => void;
  predicateTimeoutMs?: number;
}

export interface Evaluation {
  verdicts: EvalVerdict[];
  /** `eval <name>: …` for each eval without a valid verdict. */
  problems: string[];
}

export async function evaluateOutput(evals: readonly SkillEvalSpec[], context: EvaluationContext): Promise<Evaluation> {
  const problems: string[] = [];
  const verdicts = await Promise.all(
    evals.map(async (spec) => {
      let verdict: EvalVerdict;
      try {
        verdict = await evaluateOne(spec, context, (problem) => problems.push(`eval ${spec.name}: ${problem}`));
      } catch (error) {
        const problem = `could not be evaluated: ${(error as Error).message}`;
        problems.push(`eval ${spec.name}: ${problem}`);
        verdict = failVerdict(spec.name, 'no verdict', problem);
      }
      context.log(describeVerdict(spec, verdict));
      return verdict;
    }),
  );
  return { verdicts, problems };
}

function evaluateOne(spec: SkillEvalSpec, context: EvaluationContext, problem: (text: string) => void): Promise<EvalVerdict> | EvalVerdict {
  switch (spec.kind) {
    case 'regex':
      return evaluateRegex(spec, context.output);
    case 'contains':
      return evaluateContains(spec, context.output);
    case 'length':
      return evaluateLength(spec, context.output);
    case 'json':
      return evaluateJson(spec, context.output, context.workdir);
    case 'predicate':
      return evaluatePredicate(spec, context.output, {
        workdir: context.workdir,
        env: context.env,
        input: context.input,
        signal: context.signal,
        ...(context.predicateTimeoutMs !== undefined && { timeoutMs: context.predicateTimeoutMs }),
      });
    case 'judge':
      return evaluateJudge(spec, context, problem);
  }
}

async function evaluateJudge(spec: JudgeEvalSpec, context: EvaluationContext, problem: (text: string) => void): Promise<EvalVerdict> {
  const judgeContext = { ...context, inputText: context.input.text };
  const [first, second] = await Promise.all([judgeOutput(spec, judgeContext), context.judgeTwice ? judgeOutput(spec, judgeContext) : undefined]);
  if ('problem' in first) {
    problem(first.problem);
    return failVerdict(spec.name, 'no verdict', first.problem);
  }
  const { pass, evidence, reason } = first.judgement;
  const verdict: EvalVerdict = { eval: spec.name, pass, evidence: clip(evidence), ...(reason !== undefined && { reason: clip(reason) }) };
  if (second !== undefined) {
    if ('problem' in second) problem(`second judgement: ${second.problem}`);
    else verdict.second = { pass: second.judgement.pass, evidence: clip(second.judgement.evidence) };
  }
  return verdict;
}

function describeVerdict(spec: SkillEvalSpec, verdict: EvalVerdict): string {
  const second = verdict.second ? ` (second judgement: ${verdict.second.pass ? 'pass' : 'fail'})` : '';
  const why = verdict.reason ? `; ${verdict.reason}` : '';
  return `eval ${spec.name} (${spec.kind}): ${verdict.pass ? 'pass' : 'FAIL'}${second}: ${clip(verdict.evidence, 200)}${clip(why, 300)}`;
}
