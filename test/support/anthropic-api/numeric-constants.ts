// Top-level numeric constants of a JavaScript/TypeScript or Python file (`const LR = 0.01;`,
// `LR = 0.01`), and the same literal doubled or halved in the style it was written in.

export interface NumericConstant {
  name: string;
  /** The whole line, exactly as in the file: a search text that needs no more context. */
  line: string;
  literal: string;
  value: number;
  /** The line with the literal replaced. */
  withLiteral(literal: string): string;
}

const NUMBER = String.raw`[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?`;
const JS = new RegExp(String.raw`^((?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[\w.<>\[\]| ]+?)?\s*=\s*)(${NUMBER})(\s*;?\s*(?:\/\/.*)?)$`);
const PYTHON = new RegExp(String.raw`^(([A-Za-z_]\w*)\s*(?::\s*[\w.\[\], ]+?)?\s*=\s*)(${NUMBER})(\s*(?:#.*)?)$`);

/**
 * The file's top-level numeric constants whose line occurs once in the file (so it is a valid search text).
 * UPPER_CASE names only, unless the file has none.
 */
export function findNumericConstants(content: string): NumericConstant[] {
  const found: NumericConstant[] = [];
  for (const line of content.split('\n')) {
    const match = JS.exec(line) ?? PYTHON.exec(line);
    if (!match) continue;
    const [, head, name, literal, tail] = match as unknown as [string, string, string, string, string];
    const value = Number(literal.replace(/_/g, ''));
    if (!Number.isFinite(value) || content.split(line).length !== 2) continue;
    found.push({ name, line, literal, value, withLiteral: (next) => `${head}${next}${tail}` });
  }
  const upper = found.filter((c) => /^[A-Z][A-Z0-9_]*$/.test(c.name));
  return upper.length > 0 ? upper : found;
}

/** The literal times `factor`, written like the original (an integer stays one, `1.0` stays a float,
 * `3e-4` stays exponential); undefined when the value would not change or an integer would become 0. */
export function scaledLiteral(literal: string, factor: 2 | 0.5): string | undefined {
  const value = Number(literal.replace(/_/g, ''));
  const exponential = /[eE]/.test(literal);
  const integer = !exponential && !literal.includes('.');
  let next = value * factor;
  if (integer) next = Math.round(next);
  if (next === value || (integer && next === 0)) return undefined;
  if (exponential) return next.toExponential().replace('e+', 'e');
  const text = String(next);
  return integer || /[.e]/.test(text) ? text : `${text}.0`;
}
