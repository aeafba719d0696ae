// One eval's verdict as a result carries it. `pass` is true only for a verified pass, and every text is
// cut to what the schema allows, so a long quote or error never makes the result invalid.
import type { EvalVerdict } from '../../../../schemas/src/messages.js';
import type { SkillEvalSpec } from '../../../../schemas/src/skill-spec.js';

export const MAX_VERDICT_TEXT = 2000;

export type EvalOfKind<K extends SkillEvalSpec['kind']> = Extract<SkillEvalSpec, { kind: K }>;

export function passVerdict(name: string, evidence: string): EvalVerdict {
  return { eval: name, pass: true, evidence: clip(evidence) };
}

export function failVerdict(name: string, evidence: string, reason: string): EvalVerdict {
  return { eval: name, pass: false, evidence: clip(evidence), reason: clip(reason) };
}

/** Cuts to at most `max` characters (an ellipsis included) without splitting a surrogate pair. */
export function clip(text: string, max = MAX_VERDICT_TEXT): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** `"a", "b"`: strings as a person reads them in evidence. */
export function quoteList(items: readonly string[]): string {
  return items.map((item) => JSON.stringify(item)).join(', ');
}
