// A git-style unified diff, as the controller writes it (revisions/diff.ts), split into files and lines
// with their line numbers. Pure: tested in node.

export type DiffLineKind = 'hunk' | 'add' | 'del' | 'context' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  /** The line without its leading +, - or space. */
  text: string;
  oldNumber: number | null;
  newNumber: number | null;
}

export interface DiffFile {
  path: string;
  lines: DiffLine[];
}

export function parseUnifiedDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let oldNumber = 0;
  let newNumber = 0;
  let inHunk = false;
  const lines = diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith('diff --git ')) {
      const match = / b\/(.+)$/.exec(line);
      file = { path: match?.[1] ?? line.slice('diff --git '.length), lines: [] };
      files.push(file);
      inHunk = false;
      continue;
    }
    if (!inHunk && (line.startsWith('--- ') || line.startsWith('+++ '))) {
      const path = line.slice(4).replace(/^[ab]\//, '');
      if (!file) files.push((file = { path, lines: [] }));
      else if (line.startsWith('+++ ') && path !== '/dev/null') file.path = path;
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      if (!file) files.push((file = { path: '', lines: [] }));
      oldNumber = Number(hunk[1]);
      newNumber = Number(hunk[2]);
      inHunk = true;
      file.lines.push({ kind: 'hunk', text: line, oldNumber: null, newNumber: null });
      continue;
    }
    if (!file || !inHunk) continue;
    if (line.startsWith('+')) file.lines.push({ kind: 'add', text: line.slice(1), oldNumber: null, newNumber: newNumber++ });
    else if (line.startsWith('-')) file.lines.push({ kind: 'del', text: line.slice(1), oldNumber: oldNumber++, newNumber: null });
    else if (line.startsWith('\\')) file.lines.push({ kind: 'note', text: line, oldNumber: null, newNumber: null });
    else file.lines.push({ kind: 'context', text: line.slice(1), oldNumber: oldNumber++, newNumber: newNumber++ });
  }
  return files;
}

/** The highlight.js language for a file, by its extension; null when there is none worth the effort. */
export function languageOf(path: string): string | null {
  const extension = /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  const byExtension: Record<string, string> = {
    py: 'python', js: 'javascript', mjs: 'javascript', cjs: 'javascript', ts: 'typescript', md: 'markdown',
    yaml: 'yaml', yml: 'yaml', json: 'json', sh: 'bash', toml: 'ini', ini: 'ini', cfg: 'ini',
  };
  return byExtension[extension] ?? null;
}
