// The evals that read only the output's text: a regular expression, a list of strings, a length. Pure,
// and each verdict says what was found, so a person can check it at a glance.
import type { EvalVerdict } from '../../../../schemas/src/messages.js';
import { failVerdict, passVerdict, quoteList, type EvalOfKind } from './verdict.js';

export function evaluateRegex(spec: EvalOfKind<'regex'>, output: string): EvalVerdict {
  const flags = spec.flags ?? '';
  const mustMatch = spec.mustMatch ?? true;
  let regex: RegExp;
  try {
    regex = new RegExp(spec.pattern, flags);
  } catch (error) {
    return failVerdict(spec.name, 'no match', `invalid regular expression: ${(error as Error).message}`);
  }
  const shown = `/${spec.pattern}/${flags}`;
  const match = regex.exec(output);
  if (match === null) {
    return mustMatch ? failVerdict(spec.name, 'no match', `the output does not match ${shown}`) : passVerdict(spec.name, 'no match');
  }
  const evidence = match[0] === '' ? `an empty match at character ${match.index}` : match[0];
  return mustMatch ? passVerdict(spec.name, evidence) : failVerdict(spec.name, evidence, `the output matches ${shown}, which it must not`);
}

export function evaluateContains(spec: EvalOfKind<'contains'>, output: string): EvalVerdict {
  const mustContain = spec.mustContain ?? true;
  const fold = spec.caseSensitive ? (text: string) => text : (text: string) => text.toLowerCase();
  const haystack = fold(output);
  const found = spec.any.filter((needle) => haystack.includes(fold(needle)));
  if (found.length === 0) {
    const evidence = `none of ${quoteList(spec.any)} found`;
    return mustContain ? failVerdict(spec.name, evidence, 'the output contains none of the strings') : passVerdict(spec.name, evidence);
  }
  const evidence = `found ${quoteList(found)}`;
  return mustContain ? passVerdict(spec.name, evidence) : failVerdict(spec.name, evidence, 'the output contains a string it must not');
}

export function evaluateLength(spec: EvalOfKind<'length'>, output: string): EvalVerdict {
  const unit = spec.unit ?? 'words';
  const size = unit === 'words' ? countWords(output) : [...output].length;
  const evidence = `${size} ${size === 1 ? unit.slice(0, -1) : unit}`;
  if (spec.min !== undefined && size < spec.min) return failVerdict(spec.name, evidence, `fewer than the minimum of ${spec.min} ${unit}`);
  if (spec.max !== undefined && size > spec.max) return failVerdict(spec.name, evidence, `more than the maximum of ${spec.max} ${unit}`);
  return passVerdict(spec.name, evidence);
}

export function countWords(text: string): number {
  return text.split(/\s+/u).filter((word) => word !== '').length;
}
