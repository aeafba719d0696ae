// One judgement of a judge eval: ask the judge model, and ask again (up to `retries` more times) while its
// answer is not a valid verdict. A call that fails after the SDK's own retries ends it at once. No valid
// verdict is a problem of the run (it crashes), never a pass.
import type { JudgeEvalSpec, SkillModelSpec } from '../../../../schemas/src/skill-spec.js';
import { buildJudgeRequest, judgementOf, readJudgeAnswer, type Judgement } from './judge-request.js';
import type { Limiter } from './limiter.js';
import type { ModelCaller } from './model-caller.js';

export interface JudgeContext {
  model: ModelCaller;
  judge: SkillModelSpec;
  retries: number;
  inputText: string;
  output: string;
  limit: Limiter;
  log: (line: string) => void;
}

export async function judgeOutput(spec: JudgeEvalSpec, context: JudgeContext): Promise<{ judgement: Judgement } | { problem: string }> {
  const request = buildJudgeRequest(spec, context.judge, context.inputText, context.output);
  const tries = context.retries + 1;
  const noVerdict = (asked: number, problem: string) => ({ problem: `no valid verdict from ${context.judge.model} after ${asked} ${asked === 1 ? 'try' : 'tries'}: ${problem}` });
  let lastProblem = '';
  for (let asked = 1; asked <= tries; asked++) {
    let reply;
    try {
      reply = await context.limit(() => context.model.create(request));
    } catch (error) {
      return noVerdict(asked, `the call failed: ${(error as Error).message}`);
    }
    const read = readJudgeAnswer(reply);
    if ('answer' in read) return { judgement: judgementOf(read.answer, context.output) };
    lastProblem = read.problem;
    context.log(`judge ${spec.name}: invalid verdict (${read.problem})${asked < tries ? ', asking again' : ''}`);
  }
  return noVerdict(tries, lastProblem);
}
