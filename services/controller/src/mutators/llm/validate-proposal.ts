// Checks what the model proposed before anything is run: the shape of the tool call, mutable files only,
// each search text found exactly once, a real change within the size limit, and not a change already
// tried from this head. The error text goes back to the model verbatim, so it says exactly what is wrong.
import { createHash } from 'node:crypto';
import { applyEdits, EditError } from '../edits/apply-edits.js';
import type { Edit } from '../mutator.js';
import { diffRevisions } from '../../revisions/diff.js';

export interface ProposedChange {
  hypothesis: string;
  variable: string;
  description: string;
  edits: Edit[];
}

export type Validation =
  | { ok: true; change: ProposedChange; changeKey: string; diff: string }
  | { ok: false; error: string; change: ProposedChange | null };

export interface ValidationContext {
  files: Record<string, string>;
  mutablePaths: string[];
  maxDiffLines: number;
  /** A skill change is one targeted edit: a single search/replace. */
  maxEdits?: number;
  /** changeKey → what it was, for the changes already tried from this head. */
  tried: Map<string, string>;
}

export function validateProposal(input: unknown, context: ValidationContext): Validation {
  const shape = readShape(input);
  if (typeof shape === 'string') return { ok: false, error: shape, change: null };
  if (context.maxEdits !== undefined && shape.edits.length > context.maxEdits) {
    return { ok: false, error: `the change has ${shape.edits.length} edits; make ONE targeted edit (a single search/replace), not several`, change: shape };
  }
  let changed: Record<string, string>;
  try {
    changed = applyEdits(context.files, shape.edits, context.mutablePaths);
  } catch (error) {
    if (error instanceof EditError) return { ok: false, error: error.message, change: shape };
    throw error;
  }
  const diff = diffRevisions(context.files, changed);
  const changedLines = diff.split('\n').filter((line) => /^[+-](?![+-]{2} )/.test(line)).length;
  if (changedLines > context.maxDiffLines) {
    return { ok: false, error: `the change touches ${changedLines} lines; at most ${context.maxDiffLines} are allowed: make one smaller change`, change: shape };
  }
  const changeKey = normalizedDiffHash(diff);
  const earlier = context.tried.get(changeKey);
  if (earlier !== undefined) {
    return { ok: false, error: `this exact change was already tried from this head (${earlier}); propose a different one`, change: shape };
  }
  return { ok: true, change: shape, changeKey, diff };
}

/**
 * The identity of a change: its diff's changed lines with whitespace collapsed, so that the same edit
 * re-indented or re-spaced is recognised as the same change.
 */
export function normalizedDiffHash(diff: string): string {
  const lines = diff
    .split('\n')
    .filter((line) => /^([+-]|\+\+\+ |--- )/.test(line))
    .map((line) => line.replace(/\s+/g, ' ').trim());
  return `diff:${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32)}`;
}

function readShape(input: unknown): ProposedChange | string {
  if (typeof input !== 'object' || input === null) return 'the tool input must be an object with hypothesis, variable, description and edits';
  const { hypothesis, variable, description, edits } = input as Record<string, unknown>;
  for (const [name, value] of Object.entries({ hypothesis, variable, description })) {
    if (typeof value !== 'string' || value.trim() === '') return `${name} must be a non-empty string`;
  }
  if (!Array.isArray(edits) || edits.length === 0) return 'edits must be a non-empty list of { path, search, replace }';
  for (const [i, edit] of edits.entries()) {
    const e = edit as Record<string, unknown>;
    if (typeof e?.path !== 'string' || typeof e.search !== 'string' || typeof e.replace !== 'string') {
      return `edits[${i}] must have string path, search and replace`;
    }
  }
  return {
    hypothesis: (hypothesis as string).trim(),
    variable: (variable as string).trim(),
    description: (description as string).trim().replace(/\s+/g, ' ').slice(0, 300),
    edits: (edits as Edit[]).map((e) => ({ path: e.path, search: e.search, replace: e.replace })),
  };
}
