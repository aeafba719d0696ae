// The change between two revisions as a git-style unified diff: what the changelog and the API show, and
// what `git apply` accepts when a person wants to replay an experiment by hand.
import { formatPatch, structuredPatch, type StructuredPatch } from 'diff';

const CONTEXT_LINES = 3;

/** A unified diff over the changed, added and removed files, in path order; '' when nothing changed. */
export function diffRevisions(before: Record<string, string>, after: Record<string, string>): string {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return paths.map((path) => fileDiff(path, contentOf(before, path), contentOf(after, path))).join('');
}

function fileDiff(path: string, before: string | undefined, after: string | undefined): string {
  if (before === after) return '';
  const isCreate = before === undefined;
  const isDelete = after === undefined;
  const patch: StructuredPatch = {
    ...structuredPatch(isCreate ? '/dev/null' : `a/${path}`, isDelete ? '/dev/null' : `b/${path}`, before ?? '', after ?? '', undefined, undefined, {
      context: CONTEXT_LINES,
    }),
    isGit: true,
    isCreate,
    isDelete,
  };
  // Like git, the `diff --git` line names the file on both sides even when one side is /dev/null.
  return formatPatch(patch);
}

function contentOf(files: Record<string, string>, path: string): string | undefined {
  return Object.hasOwn(files, path) ? files[path] : undefined;
}
