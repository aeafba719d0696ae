// An edit is a search/replace that must match exactly once. The constant's line alone may not: the same
// text can sit indented inside a function (`    LR = 3e-4` contains `LR = 3e-4`) or in a comment. So
// the search grows by neighbouring lines until it is unique; the whole file always is.

/** A search/replace pair that rewrites line `lineIndex` of `source` to `newLine` and matches only there. */
export function uniqueLineSearch(source: string, lineIndex: number, newLine: string): { search: string; replace: string } {
  const lines = source.split('\n');
  const target = lines[lineIndex];
  if (target === undefined) throw new RangeError(`line ${lineIndex + 1} is past the end of the file`);
  // A CRLF file keeps its \r; the line given and the line written carry none.
  const lineEnding = target.endsWith('\r') ? '\r' : '';
  const targetText = lineEnding ? target.slice(0, -1) : target;

  let first = lineIndex;
  let last = lineIndex;
  for (;;) {
    const window = lines.slice(first, last + 1);
    // The target line's own text alone, without its \r, when it suffices: the smallest edit.
    const search = first === last ? targetText : window.join('\n');
    if (occurrences(source, search) === 1 || (first === 0 && last === lines.length - 1)) {
      const replaced = first === last ? newLine : window.map((line, i) => (first + i === lineIndex ? newLine + lineEnding : line)).join('\n');
      return { search, replace: replaced };
    }
    // Grow towards the start first (the line before usually pins a place down), then towards the end.
    if (first > 0) first--;
    else last++;
  }
}

function occurrences(text: string, search: string): number {
  let count = 0;
  for (let at = text.indexOf(search); at !== -1; at = text.indexOf(search, at + 1)) count++;
  return count;
}
