// What a judge is asked and how its answer is read. Pure. The judge sees the eval's question with its
// pass and fail conditions, the input and the output, and must answer through one forced tool call: a
// yes/no verdict and a quote from the output. Its quote is checked against the output: no evidence found
// in the output, no pass.
import type { Message, MessageCreateParamsNonStreaming, Tool } from '@anthropic-ai/sdk/resources/messages';
import type { JudgeEvalSpec, SkillModelSpec } from '../../../../schemas/src/skill-spec.js';

export const VERDICT_TOOL = 'record_verdict';

const INSTRUCTION = [
  'You judge one output of a prompt, strictly and blindly: judge only what the output itself says, give no benefit of the doubt,',
  'and do not guess what its author meant. Answer the question below with yes or no through the record_verdict tool.',
  'Your evidence must be quoted verbatim from the output: an exact excerpt, copied character for character, that shows your verdict is right.',
].join(' ');

const VERDICT_TOOL_SPEC: Tool = {
  name: VERDICT_TOOL,
  description: 'Record the verdict on the output: yes when the pass condition holds, no when the fail condition does, with the evidence.',
  input_schema: {
    type: 'object',
    properties: {
      verdict: { type: 'string', enum: ['yes', 'no'], description: 'yes: the output passes; no: it fails.' },
      evidence: { type: 'string', description: 'An exact quote from the output that supports the verdict.' },
    },
    required: ['verdict', 'evidence'],
  },
};

export interface JudgeAnswer {
  verdict: 'yes' | 'no';
  evidence: string;
}

export interface Judgement {
  pass: boolean;
  evidence: string;
  reason?: string;
}

export function buildJudgeRequest(spec: JudgeEvalSpec, judge: SkillModelSpec, inputText: string, output: string): MessageCreateParamsNonStreaming {
  // Each condition stays on its own line, whatever the spec's text holds.
  const line = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const system = [INSTRUCTION, '', `Question: ${line(spec.question)}`, `Pass condition: ${line(spec.pass)}`, `Fail condition: ${line(spec.fail)}`].join('\n');
  return {
    model: judge.model,
    max_tokens: judge.maxTokens,
    ...(judge.temperature !== undefined && { temperature: judge.temperature }),
    system,
    messages: [{ role: 'user', content: `<input>\n${inputText}\n</input>\n\n<output>\n${output}\n</output>` }],
    tools: [VERDICT_TOOL_SPEC],
    tool_choice: { type: 'tool', name: VERDICT_TOOL },
  };
}

/** The judge's answer, or what is wrong with it (then it is asked again). */
export function readJudgeAnswer(message: Message): { answer: JudgeAnswer } | { problem: string } {
  const call = message.content.find((block) => block.type === 'tool_use' && block.name === VERDICT_TOOL);
  if (call === undefined || call.type !== 'tool_use') return { problem: `no ${VERDICT_TOOL} call in the answer (stop reason ${message.stop_reason ?? 'none'})` };
  const input = call.input as { verdict?: unknown; evidence?: unknown } | null;
  const verdict = input?.verdict;
  if (verdict !== 'yes' && verdict !== 'no') return { problem: `the verdict is ${JSON.stringify(verdict) ?? 'missing'}, not "yes" or "no"` };
  if (typeof input?.evidence !== 'string') return { problem: 'the evidence is missing or not a string' };
  return { answer: { verdict, evidence: input.evidence } };
}

/** yes passes only with a quote found in the output; no is a fail with the judge's evidence. */
export function judgementOf(answer: JudgeAnswer, output: string): Judgement {
  if (answer.verdict === 'no') return { pass: false, evidence: answer.evidence, reason: 'the judge answered no' };
  if (normalize(answer.evidence) === '') return { pass: false, evidence: '', reason: 'no evidence: the judge answered yes without quoting the output' };
  if (!normalize(output).includes(normalize(answer.evidence))) {
    return { pass: false, evidence: answer.evidence, reason: 'no evidence: the judge answered yes, but its quote is not in the output' };
  }
  return { pass: true, evidence: answer.evidence };
}

/** Quotes are compared with whitespace collapsed and case ignored: a judge may re-wrap a line or recase it. */
function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}
