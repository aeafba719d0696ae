// The mutator of a skill study, scripted: it reads the most common failing eval from the failure
// analysis and adds the one rule that fixes it under the skill's `## Rules` line. With nothing left to
// fix it adds a harmless style rule instead, never one it proposed before, so a study keeps going.
import { proposeEdit, type Policy, type ProposalInput, type ToolUseAnswer } from './policy.js';
import { rejectedToolUses, requestText, shownFiles, type ShownFile } from './prompt-reading.js';

/** Eval name → the one rule line (without the leading `- `) that makes outputs pass it. */
export type SkillFixes = Record<string, string>;

/** The rules that fix the evals of examples/skill-release-notes, one each. */
export const releaseNotesFixes: SkillFixes = {
  'no-numbered-lists': 'Use bullet points (`-`), never numbered lists: the changes have no order.',
  concise: 'Keep the notes under 200 words: one short line per change, no preamble or sign-off, and leave out chores and refactors.',
  'breaking-changes-first': 'Put breaking changes first, under a `## Breaking changes` heading right after the opening sentence.',
  'opens-with-summary': 'Open with one sentence that tells users what the release means for them, before any heading.',
};

/** Style rules that change nothing the evals check: what the editor proposes when it has no fix to make. */
export const NEUTRAL_RULES = [
  'Write for the people who use the product, not for its developers.',
  'Address the reader as "you".',
  'Spell out an abbreviation the first time it appears.',
  'Use plain words rather than internal project jargon.',
  'Put command names, flags, endpoints and settings in backticks.',
  'Write in the present tense: "The CLI accepts", not "The CLI will accept".',
  'Use sentence case for headings.',
  'Use American English spelling.',
];

interface FailingEval {
  name: string;
  failed: number;
  of: number;
}

/** Proposes one added rule per call through propose_change: the fix for the most common failing eval, else a neutral one. */
export function skillEditor(fixes: SkillFixes = releaseNotesFixes): Policy {
  return (request) => {
    const text = requestText(request);
    const skill = shownFiles(text).find((file) => RULES_LINE.test(file.content));
    if (!skill) throw new Error('skillEditor: no file shown in the prompt has a "## Rules" line');
    const rejected = rejectedToolUses(request).map((use) => (use.input as Partial<ProposalInput> | undefined)?.description);
    const proposedBefore = (description: string) => text.includes(description) || rejected.includes(description);

    const failing = mostCommonFailingEval(text);
    const fix = failing ? fixes[failing.name] : undefined;
    if (failing && fix !== undefined && !skill.content.includes(fix) && !proposedBefore(fixDescription(failing.name))) {
      return addRule(skill, fix, {
        hypothesis: `The skill never states the rule that ${failing.name} checks, which failed ${failing.failed} of ${failing.of} outputs; stating it should make the outputs pass.`,
        variable: `rule for ${failing.name}`,
        description: fixDescription(failing.name),
      });
    }

    const neutral = NEUTRAL_RULES.find((rule) => !skill.content.includes(rule) && !proposedBefore(neutralDescription(rule)));
    if (neutral === undefined) throw new Error('skillEditor: every neutral rule has been proposed; the study should have stopped by now');
    const why = !failing
      ? 'No eval fails any more'
      : fix === undefined
        ? `No known rule fixes ${failing.name}`
        : `The rule for ${failing.name} is already in the skill or was tried`;
    return addRule(skill, neutral, {
      hypothesis: `${why}; a small style rule that targets no eval should keep the pass rate where it is.`,
      variable: 'style rule',
      description: neutralDescription(neutral),
    });
  };
}

const RULES_LINE = /^## Rules[ \t]*$/m;

function fixDescription(evalName: string): string {
  return `add a rule for the ${evalName} eval`;
}

function neutralDescription(rule: string): string {
  return `add a style rule: ${rule}`;
}

/** `Most common failing eval: <name> — failed <n> of <m> outputs`, or undefined for `none` or no such line. */
function mostCommonFailingEval(text: string): FailingEval | undefined {
  const match = /^Most common failing eval: (\S+)(?: — failed (\d+) of (\d+) outputs?)?/m.exec(text);
  if (!match || (match[1] === 'none' && match[2] === undefined)) return undefined;
  return { name: match[1]!, failed: Number(match[2] ?? 0), of: Number(match[3] ?? 0) };
}

/** One edit: the `## Rules` line (with the blank line after it, if any) gains the new bullet right below. */
function addRule(skill: ShownFile, rule: string, extra: { hypothesis: string; variable: string; description: string }): ToolUseAnswer {
  const match = RULES_LINE.exec(skill.content)!;
  const rest = skill.content.slice(match.index + match[0].length);
  const gap = rest.startsWith('\n\n') ? '\n\n' : rest.startsWith('\n') ? '\n' : '';
  const search = match[0] + gap;
  const replace = gap === '' ? `${search}\n- ${rule}` : `${search}- ${rule}\n`;
  return proposeEdit(skill.path, search, replace, extra);
}
