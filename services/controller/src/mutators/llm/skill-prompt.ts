// The parts of the mutator's prompt that differ for a skill study: the rules of editing a prompt, and the
// failure analysis of the head's outputs (per-eval failure rates, the most common failing eval, failing
// outputs with the judge's evidence).
import type { MutationContext, SkillEvidence } from '../mutator.js';
import { fenced } from './fence.js';

export function skillRules(ctx: MutationContext, maxDiffLines: number): string {
  return [
    'You are improving a skill: a prompt that another model receives as its system prompt, with a test input as the user message.',
    'Each experiment runs the skill on the same inputs several times and scores every output with binary evals (pass or fail). The objective is the pass rate, passes / (evals × outputs), higher is better; a change is kept only if it raises the pass rate beyond the binomial noise.',
    '',
    'Rules:',
    `1. Make ONE targeted edit to ${ctx.mutablePaths.join(', ')}: a single search/replace that changes one thing, aimed at the most common failure. Name that thing in \`variable\` (usually the eval it targets).`,
    '2. Good edits: add a specific instruction for the most common failure; reword an ambiguous instruction; add an anti-pattern ("Do NOT ..."); move a buried instruction up; add or improve a short example; remove an instruction that makes the model over-optimize.',
    `3. Bad edits: rewriting the skill from scratch; several rules at once; making it longer without a reason; vague instructions such as "be better". At most ${maxDiffLines} changed lines.`,
    '4. Never game an eval: the skill must get better for its users on inputs it has never seen, not just on these. Do not mention the evals, the test inputs or their contents in the skill.',
    '5. `search` must be copied verbatim from the file as shown and occur in it exactly once.',
    '6. Never propose a change already tried from the current head (they are listed); learn from what was tried instead.',
    'Answer with the propose_change tool only.',
  ].join('\n');
}

export function skillFailureAnalysis(ctx: MutationContext): string {
  const lines = ['## Failure analysis', ''];
  const evidence = ctx.skill;
  if (!evidence) {
    lines.push('The head has not been scored yet.');
    return `${lines.join('\n')}\n`;
  }
  lines.push('Evals:');
  for (const e of evidence.evals) lines.push(`- ${e.name} (${e.kind}): ${e.checks}`);
  lines.push('', `Failures per eval on the head's ${evidence.outputs} outputs:`);
  for (const e of evidence.failuresByEval) lines.push(`- ${e.name}: failed ${e.failed} of ${evidence.outputs} (${rate(e.failed, evidence.outputs)})`);
  const top = evidence.failuresByEval[0];
  lines.push('', top && top.failed > 0
    ? `Most common failing eval: ${top.name} — failed ${top.failed} of ${evidence.outputs} outputs`
    : 'Most common failing eval: none (every eval passed on every output)');
  if (evidence.byInput.length > 0) {
    lines.push('', 'Pass rate per input: ' + evidence.byInput.map((i) => `${i.name} ${i.passes}/${i.trials}`).join(', '));
  }
  lines.push(...failingOutputs(evidence));
  return `${lines.join('\n')}\n`;
}

function failingOutputs(evidence: SkillEvidence): string[] {
  if (evidence.examples.length === 0) return [];
  const lines = ['', 'Failing outputs:'];
  for (const example of evidence.examples) {
    lines.push('', `### An output for input ${example.input}, failing ${example.failed.map((f) => f.eval).join(', ')}`);
    for (const failed of example.failed) {
      const why = [failed.reason, failed.evidence ? `evidence: ${JSON.stringify(failed.evidence)}` : ''].filter(Boolean).join('; ');
      lines.push(`- ${failed.eval}: ${why || 'failed'}`);
    }
    lines.push('Output:', fenced(example.output || '(empty)'));
  }
  return lines;
}

function rate(failed: number, of: number): string {
  return of === 0 ? '–' : `${Number(((failed / of) * 100).toFixed(1))}%`;
}
