// Applies a mutator's search/replace edits to the head's files. Edits come from a language model or a
// spec, so they are untrusted: every path is confined to the workspace and to the mutable files, and
// every search must match exactly once, or the whole proposal is rejected with the reason.
import { AutoresearchError } from '../../errors.js';
import { confineWorkspacePath } from '../../revisions/workspace-path.js';
import type { Edit } from '../mutator.js';

export type EditErrorCode =
  | 'READ_ONLY_FILE'
  | 'UNKNOWN_FILE'
  | 'SEARCH_NOT_FOUND'
  | 'SEARCH_AMBIGUOUS'
  | 'EMPTY_CHANGE'
  | 'PATH_OUTSIDE_WORKSPACE';

export class EditError extends AutoresearchError {
  declare readonly code: EditErrorCode;
  constructor(
    code: EditErrorCode,
    message: string,
    /** The offending edit's index, or null when the edits as a whole are at fault. */
    readonly editIndex: number | null = null,
  ) {
    super(code, message);
  }
}

/**
 * The files after the edits, applied in order, each to the result of the one before. Returns a new
 * object and leaves `files` untouched. `mutablePaths` lists the files (or folders) that may change.
 */
export function applyEdits(files: Record<string, string>, edits: Edit[], mutablePaths: string[]): Record<string, string> {
  const result = new Map(Object.entries(files));
  edits.forEach((edit, index) => {
    const fail = (code: EditErrorCode, problem: string): never => {
      throw new EditError(code, `edits[${index}] (${edit.path}): ${problem}`, index);
    };
    const confined = confineWorkspacePath(edit.path);
    if (!confined.ok) fail('PATH_OUTSIDE_WORKSPACE', `the path ${confined.problem}`);
    else if (confined.path !== edit.path) {
      // "a/../b" or "./b" would name b; insisting on the normal form keeps one name per file.
      fail('PATH_OUTSIDE_WORKSPACE', `the path must be relative and normalized, like "${confined.path}"`);
    }
    // Checked before existence: the caller may hold only the mutable files, and "read-only" is the
    // answer a model needs when it edits a fixed file such as prepare.py.
    if (!isMutable(edit.path, mutablePaths)) {
      fail('READ_ONLY_FILE', `the file is read-only; only ${mutablePaths.join(', ')} may be changed`);
    }
    const content = result.get(edit.path);
    if (content === undefined) fail('UNKNOWN_FILE', 'no such file in the workspace');
    else result.set(edit.path, replaceOnce(content, edit, fail));
  });

  const changed = [...result].some(([path, content]) => files[path] !== content);
  if (!changed) {
    throw new EditError('EMPTY_CHANGE', `the ${edits.length === 1 ? 'edit leaves' : `${edits.length} edits leave`} every file unchanged`);
  }
  // fromEntries defines own properties, so even a file named "__proto__" stays a plain entry.
  return Object.fromEntries(result);
}

function replaceOnce(content: string, edit: Edit, fail: (code: EditErrorCode, problem: string) => never): string {
  if (edit.search === '') {
    // An empty search matches everywhere, except in an empty file, where it means "write this".
    if (content === '') return edit.replace;
    fail('SEARCH_AMBIGUOUS', 'the search text is empty; it must match exactly once');
  }
  const at = content.indexOf(edit.search);
  if (at === -1) fail('SEARCH_NOT_FOUND', `search text not found: ${excerpt(edit.search)}`);
  const count = occurrences(content, edit.search);
  if (count > 1) fail('SEARCH_AMBIGUOUS', `search text found ${count} times; it must match exactly once`);
  // Slicing rather than String.replace, which would read `$&` or `$1` in the replacement as patterns.
  return content.slice(0, at) + edit.replace + content.slice(at + edit.search.length);
}

function isMutable(path: string, mutablePaths: string[]): boolean {
  return mutablePaths.some((entry) => {
    const confined = confineWorkspacePath(entry);
    if (!confined.ok) return false;
    return path === confined.path || path.startsWith(`${confined.path}/`);
  });
}

/** Overlapping matches count too: "aa" occurs twice in "aaa", so it does not say where to edit. */
function occurrences(text: string, search: string): number {
  let count = 0;
  for (let at = text.indexOf(search); at !== -1; at = text.indexOf(search, at + 1)) count++;
  return count;
}

function excerpt(text: string): string {
  const firstLine = text.split('\n', 1)[0] ?? '';
  const shortened = firstLine.length > 80 ? `${firstLine.slice(0, 80)}…` : firstLine;
  return JSON.stringify(text.includes('\n') ? `${shortened}…` : shortened);
}
