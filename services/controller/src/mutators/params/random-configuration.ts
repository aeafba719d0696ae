// Random search (the params mutator's strategy random): each proposal draws EVERY declared param afresh,
// independently and uniformly over its range, and writes them all into the head's files. The loop keeps
// the best configuration found so far as its head. Draws are fixed by the seed, the head, the branch and
// how much was tried from that head, and a configuration already tried from the head is drawn again.
import { createHash } from 'node:crypto';
import type { Param } from '../../../../../schemas/src/study-spec.js';
import type { Edit, MutationContext, Proposal } from '../mutator.js';
import { drawValue, seededUniform } from './param-draws.js';
import { shownValue, type ParamValue } from './param-moves.js';
import { formatLiteral, rewriteConstantLine, type TopLevelConstant } from './top-level-constants.js';
import { uniqueLineSearch } from './unique-line-search.js';

/** A declared param, found and checked in the head's files. */
export interface DeclaredConstant {
  param: Param;
  /** The name as keys show it (qualified by file where two files declare it). */
  label: string;
  constant: TopLevelConstant;
  /** The text of the param's file in the head. */
  source: string;
}

/**
 * Draws before giving up: with a space of k configurations and t of them tried, all fail with chance
 * (t/k)^64, so a null means the space is (all but) exhausted, not bad luck.
 */
export const MAX_RANDOM_DRAWS = 64;

export function proposeRandomConfiguration(input: {
  seed: number;
  declared: DeclaredConstant[];
  ctx: MutationContext;
  objective: { metric: string; direction: 'minimize' | 'maximize' };
}): Proposal | null {
  const { seed, declared, ctx, objective } = input;
  const current = declared.map(({ constant }) => shownValue(constant.value.value, constant));
  for (let attempt = 0; attempt < MAX_RANDOM_DRAWS; attempt++) {
    const drawn = declared.map(({ param, constant }, index) =>
      drawValue(param, constant.value, seededUniform(seed, ctx.head.revisionId, 'random', ctx.branchIndex, ctx.triedFromHead.size, attempt, index)),
    );
    const shown = drawn.map((value, index) => shownValue(value, declared[index]!.constant));
    if (shown.every((value, index) => value === current[index])) continue; // the head itself
    const changeKey = configurationKey(declared.map((d, index) => [d.label, shown[index]!]));
    if (ctx.triedFromHead.has(changeKey)) continue;

    const changed = declared.map((d, index) => ({ ...d, from: current[index]!, to: drawn[index]!, shown: shown[index]! }))
      .filter((d) => d.shown !== d.from);
    const configuration = declared.map((d, index) => `${d.label}=${shown[index]}`).join(', ');
    return {
      hypothesis: `A configuration drawn at random (${configuration}) may ${objective.direction === 'minimize' ? 'lower' : 'raise'} ${objective.metric}`,
      variable: changed.map((d) => d.label).join(', '),
      description: `random draw: ${changed.map((d) => `${d.label} ${d.from} -> ${d.shown}`).join(', ')}`,
      changeKey,
      edits: rewriteConstants(changed),
    };
  }
  return null;
}

/** A hash of the whole configuration, so the same draw is recognized however the head got there. */
function configurationKey(entries: Array<[string, string]>): string {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `random:${createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32)}`;
}

/**
 * One edit per changed constant. Edits apply in order, each to the result of the one before, so each
 * search is made unique in the file as the edits before it leave it (a constant's line never moves).
 */
function rewriteConstants(changed: Array<DeclaredConstant & { to: ParamValue }>): Edit[] {
  const files = new Map<string, string>();
  return changed.map(({ param, constant, source, to }) => {
    const text = files.get(param.file) ?? source;
    const newLine = rewriteConstantLine(constant, formatLiteral(to, constant.language, constant.value));
    const edit = uniqueLineSearch(text, constant.lineIndex, newLine);
    const lines = text.split('\n');
    lines[constant.lineIndex] = newLine + (lines[constant.lineIndex]!.endsWith('\r') ? '\r' : '');
    files.set(param.file, lines.join('\n'));
    return { path: param.file, ...edit };
  });
}
