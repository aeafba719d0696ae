// A metrics file the run wrote, relative to its work directory (and confined to it): either one JSON
// object, `{ "val_bpb": 0.99, "eval": { "acc": 0.8 } }` (nested objects flatten to `eval.acc`), or JSON
// lines, one object per line, where the last value of each name wins.
import { open } from 'node:fs/promises';
import { AgentError, MetricsError } from '../errors.js';
import { resolveInside } from '../safe-path.js';
import type { MetricValues } from './metric-reader.js';

const MAX_BYTES = 16 * 1024 * 1024;

// Python's json.dump writes NaN and Infinity, which JSON.parse refuses; they become these strings first.
const NON_FINITE_TOKENS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};
const SENTINEL = '\u0000non-finite:';

export async function readJsonMetricsFile(workdir: string, file: string): Promise<MetricValues> {
  let path: string;
  try {
    path = await resolveInside(workdir, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MetricsError(`metrics file ${file} was not written`);
    if (error instanceof AgentError) throw new MetricsError(`metrics file: ${error.message}`, { cause: error });
    throw error;
  }
  const handle = await open(path, 'r');
  let text: string;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new MetricsError(`metrics file ${file} is not a regular file`);
    if (stat.size > MAX_BYTES) throw new MetricsError(`metrics file ${file} is larger than ${MAX_BYTES / 1024 / 1024} MiB`);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  return parseJsonMetrics(text, file);
}

/** Parses the text of a metrics file: one JSON object, or JSON lines. `label` names it in errors. */
export function parseJsonMetrics(text: string, label = 'the metrics file'): MetricValues {
  if (text.trim() === '') throw new MetricsError(`metrics file ${label} is empty`);
  const whole = tryParse(text);
  if (whole.ok) return flattenTopLevel(whole.value, label);
  const values: MetricValues = new Map();
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const parsed = tryParse(line);
    if (!parsed.ok) throw new MetricsError(`metrics file ${label} is neither a JSON object nor JSON lines: line ${index + 1}: ${parsed.problem}`);
    for (const [name, value] of flattenTopLevel(parsed.value, `${label} line ${index + 1}`)) {
      values.delete(name);
      values.set(name, value);
    }
  }
  return values;
}

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

function tryParse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(quoteNonFiniteTokens(text)) };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}

function flattenTopLevel(value: unknown, label: string): MetricValues {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MetricsError(`metrics file ${label} must hold a JSON object of metrics, not ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const values: MetricValues = new Map();
  flattenInto(values, value as Record<string, unknown>, '');
  return values;
}

function flattenInto(values: MetricValues, object: Record<string, unknown>, prefix: string): void {
  for (const [key, child] of Object.entries(object)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof child === 'number') values.set(name, child);
    else if (typeof child === 'string' && child.startsWith(SENTINEL)) values.set(name, NON_FINITE_TOKENS[child.slice(SENTINEL.length)]!);
    else if (typeof child === 'object' && child !== null && !Array.isArray(child)) flattenInto(values, child as Record<string, unknown>, name);
    // strings, booleans, null and arrays are not metrics
  }
}

/** Outside string literals, turns the bare tokens NaN, Infinity and -Infinity into sentinel strings. */
function quoteNonFiniteTokens(text: string): string {
  if (!/NaN|Infinity/.test(text)) return text;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (inString) {
      out += char;
      if (char === '\\') {
        out += text[i + 1] ?? '';
        i += 1;
      } else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      out += char;
      continue;
    }
    const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(SENTINEL + token);
      i += token.length - 1;
      continue;
    }
    out += char;
  }
  return out;
}
