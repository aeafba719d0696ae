// Finds and rewrites one top-level constant of a script, the way autoresearch's train.py keeps its
// hyperparameters: Python `LR = 3e-4  # comment`, JavaScript/TypeScript `export const LR = 0.003;`.
// Only the literal changes; the rest of the line (annotation, comment, semicolon) is kept byte for byte.
import { AutoresearchError } from '../../errors.js';
import { topLevelLineStarts, type ScriptLanguage } from './top-level-lines.js';

export type { ScriptLanguage } from './top-level-lines.js';

export type ConstantValue =
  | { kind: 'number'; value: number; /** Written without a point or exponent, like `64`. */ integerLiteral: boolean }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'string'; value: string; quote: '"' | "'" };

export interface TopLevelConstant {
  name: string;
  file: string;
  language: ScriptLanguage;
  /** 0-based index of the line in the file. */
  lineIndex: number;
  /** The exact line, without its line ending. */
  line: string;
  value: ConstantValue;
  /** The line around the literal, so a rewrite touches only the literal. */
  beforeValue: string;
  afterValue: string;
}

export type ConstantErrorCode = 'CONSTANT_NOT_FOUND' | 'CONSTANT_DEFINED_TWICE' | 'UNSUPPORTED_VALUE' | 'UNSUPPORTED_LANGUAGE';

export class ConstantError extends AutoresearchError {
  declare readonly code: ConstantErrorCode;
  constructor(code: ConstantErrorCode, message: string) {
    super(code, message);
  }
}

// Digits with optional `_` separators (Python, and JavaScript since ES2021), a fraction, an exponent.
const DIGITS = String.raw`\d(?:_?\d)*`;
const NUMBER = String.raw`[-+]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][-+]?${DIGITS})?`;
const STRING = String.raw`"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*'`;

const LITERAL: Record<ScriptLanguage, RegExp> = {
  python: new RegExp(String.raw`^(?:(?<number>${NUMBER})|(?<boolean>True|False)|(?<string>${STRING}))`),
  javascript: new RegExp(String.raw`^(?:(?<number>${NUMBER})|(?<boolean>true|false)|(?<string>${STRING}))`),
};

/** What may follow the literal: a comment, and in JavaScript a semicolon. */
const AFTER_VALUE: Record<ScriptLanguage, RegExp> = {
  python: /^\s*(?:#.*)?$/,
  javascript: /^\s*(?:\/\*.*?\*\/\s*)*;?\s*(?:\/\/.*|\/\*.*\*\/\s*)?$/,
};

export function languageOf(file: string, source: string): ScriptLanguage {
  if (/\.pyi?$|\.pyw$/.test(file)) return 'python';
  if (/\.[cm]?[jt]sx?$/.test(file)) return 'javascript';
  const shebang = /^#!.*\b(python[\d.]*|node|deno|bun|tsx|ts-node)\b/.exec(source);
  if (shebang) return shebang[1]!.startsWith('python') ? 'python' : 'javascript';
  throw new ConstantError(
    'UNSUPPORTED_LANGUAGE',
    `cannot tell the language of ${file}: top-level constants are read from Python (.py) and JavaScript/TypeScript (.js, .ts, …) files, or a script with a python or node shebang`,
  );
}

/** The one top-level definition of `name` in `source`, or a ConstantError naming the file and constant. */
export function findTopLevelConstant(source: string, name: string, file: string): TopLevelConstant {
  const language = languageOf(file, source);
  const declaration = declarationPattern(language, name);
  const lines = source.split('\n');
  const topLevel = topLevelLineStarts(source, language);
  const found: Array<{ lineIndex: number; line: string; prefix: string; operator: string }> = [];

  lines.forEach((rawLine, lineIndex) => {
    if (!topLevel[lineIndex]) return;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const match = declaration.exec(line);
    if (match) found.push({ lineIndex, line, prefix: match[0], operator: match.groups?.['operator'] ?? '=' });
  });

  if (found.length === 0) throw new ConstantError('CONSTANT_NOT_FOUND', `constant ${name} not found in ${file}`);
  if (found.length > 1) {
    const where = found.map((f) => f.lineIndex + 1).join(' and ');
    throw new ConstantError(
      'CONSTANT_DEFINED_TWICE',
      `constant ${name} is assigned ${found.length} times at top level in ${file} (lines ${where}); it must be assigned exactly once`,
    );
  }

  const { lineIndex, line, prefix, operator } = found[0]!;
  const rest = line.slice(prefix.length);
  const literal = LITERAL[language].exec(rest);
  const valueText = literal?.[0];
  if (operator !== '=' || !literal || valueText === undefined || !AFTER_VALUE[language].test(rest.slice(valueText.length))) {
    throw new ConstantError(
      'UNSUPPORTED_VALUE',
      `constant ${name} in ${file} (line ${lineIndex + 1}) is not assigned a plain number, boolean or string literal: ${line.trim()}`,
    );
  }
  return {
    name,
    file,
    language,
    lineIndex,
    line,
    value: parseLiteral(literal.groups ?? {}, valueText),
    beforeValue: prefix,
    afterValue: rest.slice(valueText.length),
  };
}

/** The constant's line with its literal replaced by `literal` (already formatted for the language). */
export function rewriteConstantLine(constant: TopLevelConstant, literal: string): string {
  return constant.beforeValue + literal + constant.afterValue;
}

/**
 * A value as a literal of the language. `like` is the literal it replaces: a Python float stays a float
 * (`1.0`, not `1`, which would turn it into an int) and a string keeps its quotes.
 */
export function formatLiteral(value: number | boolean | string, language: ScriptLanguage, like?: ConstantValue): string {
  if (typeof value === 'boolean') return language === 'python' ? (value ? 'True' : 'False') : String(value);
  if (typeof value === 'string') {
    const quote = like?.kind === 'string' ? like.quote : '"';
    return quote + value.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`) + quote;
  }
  const text = formatNumber(value);
  const keepsFloat = language === 'python' && like?.kind === 'number' && !like.integerLiteral;
  return keepsFloat && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/**
 * A number written cleanly: integers exactly, anything else to at most 6 significant digits, so
 * 0.1 + 0.2 reads 0.3 and binary noise never reaches a script or a changelog.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as a literal`);
  const clean = Number.isInteger(value) ? value : Number(value.toPrecision(6));
  return String(clean === 0 ? 0 : clean); // never "-0"
}

function declarationPattern(language: ScriptLanguage, name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Any assignment counts towards "defined twice", augmented ones (`LR *= 2`) included, since a later
  // assignment would silently override the value we write; only a plain `=` is rewritable.
  const assignment = String.raw`\s*(?<operator>(?:\*\*|//|>>>|>>|<<|&&|\|\||\?\?|[-+*/%@&|^])=|=(?!=))\s*`;
  const annotation = String.raw`(?:\s*:[^=]*)?`;
  if (language === 'python') return new RegExp(String.raw`^${escaped}${annotation}${assignment}`);
  return new RegExp(String.raw`^(?:(?:export\s+)?(?:const|let|var)\s+)?${escaped}${annotation}${assignment}`);
}

function parseLiteral(groups: Record<string, string | undefined>, text: string): ConstantValue {
  if (groups['number'] !== undefined) {
    return { kind: 'number', value: Number(text.replace(/_/g, '')), integerLiteral: !/[.eE]/.test(text) };
  }
  if (groups['boolean'] !== undefined) return { kind: 'boolean', value: text === 'True' || text === 'true' };
  const quote = text[0] === "'" ? "'" : '"';
  // Only the escapes a constant plausibly holds: an escaped quote or backslash.
  return { kind: 'string', value: text.slice(1, -1).replace(/\\(["'\\])/g, '$1'), quote };
}
