// Label and field selectors with the grammar of k8s.io/apimachinery/pkg/labels: equality (`=`, `==`, `!=`),
// sets (`in`, `notin`) and existence (`key`, `!key`), joined by commas.
import { badRequest } from './status.js';

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function parseLabelSelector(selector: string | null): Matcher {
  if (!selector || selector.trim() === '') return () => true;
  const requirements = splitTerms(selector).map(parseRequirement);
  return (labels) => requirements.every((requirement) => matches(requirement, labels ?? {}));
}

/** Field selectors support only equality, on dotted paths such as `metadata.name` or `status.phase`. */
export function parseFieldSelector(selector: string | null): (object: unknown) => boolean {
  if (!selector || selector.trim() === '') return () => true;
  const terms = selector.split(',').map((term) => {
    const match = /^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    return { path: match[1]!.split('.'), negate: match[2] === '!=', value: match[3]! };
  });
  return (object) =>
    terms.every(({ path, negate, value }) => {
      let current: unknown = object;
      for (const part of path) current = current && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
      const actual = current === undefined || current === null ? '' : String(current);
      return negate ? actual !== value : actual === value;
    });
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const char = selector[i];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function parseRequirement(raw: string): Requirement {
  const term = raw.trim();
  const fail = () => badRequest(`unable to parse requirement: ${JSON.stringify(term)}`);
  let match = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (match) {
    const key = checkKey(match[1]!, fail);
    return { key, op: match[2] === '!=' ? 'notin' : 'in', values: [match[3]!] };
  }
  match = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (match) {
    const key = checkKey(match[1]!, fail);
    const values = match[3]!.split(',').map((value) => value.trim());
    return { key, op: match[2] as 'in' | 'notin', values };
  }
  match = /^(!?)\s*(\S+)$/.exec(term);
  if (match) return { key: checkKey(match[2]!, fail), op: match[1] ? 'doesnotexist' : 'exists' };
  throw fail();
}

function checkKey(key: string, fail: () => Error): string {
  if (!KEY.test(key)) throw fail();
  return key;
}

function matches(requirement: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  switch (requirement.op) {
    case 'exists':
      return has;
    case 'doesnotexist':
      return !has;
    case 'in':
      return has && requirement.values.includes(labels[requirement.key]!);
    case 'notin':
      return !has || !requirement.values.includes(labels[requirement.key]!);
  }
}
