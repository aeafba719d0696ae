// The judge of a skill study's judge evals, scripted: it reads the question from the system prompt and
// the input and output from the user message, answers with a rubric for that question, and calls
// record_verdict with an exact quote from the output as evidence, as the agent requires.
import type { Policy } from './policy.js';
import { lastUserText, systemText } from './prompt-reading.js';

export interface Verdict {
  verdict: 'yes' | 'no';
  /** An exact quote from the output. */
  evidence: string;
}

export interface Rubric {
  /** The judge eval's question, matched against the request's `Question:` line (a string must equal it). */
  question: string | RegExp;
  answer(input: string, output: string): Verdict;
}

export const OPENS_WITH_SUMMARY_QUESTION = 'Does the output open with a one-sentence summary of the release for its users?';

const PREAMBLE = /^(?:here(?:'s| is| are)|sure\b|certainly\b|of course\b|below\b|great\b|okay\b|ok\b|i(?:'ve| have| grouped| wrote| put)\b)/i;

/**
 * The example's judge eval: the first paragraph is one sentence about the release, not a heading, a list
 * item, or a preamble about the answer itself.
 */
export const opensWithSummary: Rubric = {
  question: OPENS_WITH_SUMMARY_QUESTION,
  answer(_input, output) {
    const first = output.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? '';
    const no = (evidence: string): Verdict => ({ verdict: 'no', evidence });
    if (first === '') return no(output.trim());
    if (/^(?:#|[-*+]\s|\d+[.)]\s|>|\|)/.test(first)) return no(first);
    if (PREAMBLE.test(first)) return no(first);
    const sentences = first.split(/(?<=[.!?])\s+/).filter((sentence) => sentence !== '');
    if (sentences.length !== 1 || !/[.!?]$/.test(first)) return no(first);
    if (!/\b(?:release|version|update|upgrade)\b/i.test(first)) return no(first);
    return { verdict: 'yes', evidence: first };
  },
};

export const releaseNotesRubrics: Rubric[] = [opensWithSummary];

interface JudgeRequest {
  question: string;
  input: string;
  output: string;
}

/** Answers the agent's judge calls with the rubric whose question matches; a question without one is the test's bug. */
export function rubricJudge(rubrics: Rubric[] = releaseNotesRubrics): Policy {
  return (request) => {
    const { question, input, output } = readJudgeRequest(systemText(request), lastUserText(request));
    const rubric = rubrics.find((r) => (typeof r.question === 'string' ? r.question === question : r.question.test(question)));
    if (!rubric) throw new Error(`rubricJudge: no rubric for the question "${question}"`);
    const { verdict, evidence } = rubric.answer(input, output);
    return { toolUse: { name: 'record_verdict', input: { verdict, evidence } } };
  };
}

function readJudgeRequest(system: string, user: string): JudgeRequest {
  const question = /^Question:[ \t]*(.*)$/m.exec(system)?.[1]?.trim();
  if (question === undefined) throw new Error('rubricJudge: the system prompt has no "Question:" line');
  // The input may itself mention the tags, so the output starts after the last separator.
  const outputStart = user.lastIndexOf('\n</input>\n\n<output>\n');
  if (!user.startsWith('<input>\n') || outputStart < 0 || !user.endsWith('\n</output>')) {
    throw new Error('rubricJudge: the user message is not <input>…</input> then <output>…</output>');
  }
  return {
    question,
    input: user.slice('<input>\n'.length, outputStart),
    output: user.slice(outputStart + '\n</input>\n\n<output>\n'.length, -'\n</output>'.length),
  };
}
