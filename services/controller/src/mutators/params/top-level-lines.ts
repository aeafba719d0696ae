// Which lines of a script begin a top-level statement. A line that merely looks like `LR = 3e-4` may sit
// inside a docstring, a block comment, a template literal, a multi-line call or (in JavaScript) an
// unindented function body; rewriting it would change nothing the script runs, and counting it would
// report a constant "defined twice" that is not. A small lexer tracks exactly that much, no more.

export type ScriptLanguage = 'python' | 'javascript';

type LexState =
  | { kind: 'code' }
  | { kind: 'line-comment' }
  | { kind: 'block-comment' }
  | { kind: 'string'; close: string };

/** For each line (split on \n), whether it starts at the top level of the script. */
export function topLevelLineStarts(source: string, language: ScriptLanguage): boolean[] {
  const starts: boolean[] = [true];
  let state: LexState = { kind: 'code' };
  // Open brackets: a Python statement continues across lines inside them, and JavaScript blocks nest.
  let depth = 0;
  let continued = false;

  const atNewline = () => {
    if (state.kind === 'line-comment') state = { kind: 'code' };
    // An unclosed one-line string ends at the line end; only triple quotes and backticks span lines.
    if (state.kind === 'string' && state.close.length === 1 && state.close !== '`') state = { kind: 'code' };
    starts.push(state.kind === 'code' && depth === 0 && !continued);
    continued = false;
  };

  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    const next = source[i + 1];
    if (char === '\n') {
      atNewline();
      continue;
    }
    switch (state.kind) {
      case 'line-comment':
        break;
      case 'block-comment':
        if (char === '*' && next === '/') {
          state = { kind: 'code' };
          i++;
        }
        break;
      case 'string':
        if (char === '\\') {
          // Skip the escaped character, but a skipped newline still starts a (non-top-level) line.
          if (next === '\n') {
            i++;
            starts.push(false);
          } else i++;
        } else if (source.startsWith(state.close, i)) {
          i += state.close.length - 1;
          state = { kind: 'code' };
        }
        break;
      case 'code':
        if (language === 'python' && char === '#') state = { kind: 'line-comment' };
        else if (language === 'javascript' && char === '/' && next === '/') state = { kind: 'line-comment' };
        else if (language === 'javascript' && char === '/' && next === '*') {
          state = { kind: 'block-comment' };
          i++;
        } else if (char === '"' || char === "'" || (language === 'javascript' && char === '`')) {
          const triple = char.repeat(3);
          if (language === 'python' && source.startsWith(triple, i)) {
            state = { kind: 'string', close: triple };
            i += 2;
          } else state = { kind: 'string', close: char };
        } else if (char === '(' || char === '[' || char === '{') depth++;
        else if (char === ')' || char === ']' || char === '}') depth = Math.max(0, depth - 1);
        else if (language === 'python' && char === '\\' && (next === '\n' || (next === '\r' && source[i + 2] === '\n'))) {
          continued = true;
        }
        break;
    }
  }
  return starts;
}
