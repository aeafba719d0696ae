// Katib's stdout format: `name=value` pairs, several per line separated by spaces, commas, semicolons
// or tabs, optionally after an RFC 3339 timestamp:
//   2026-01-05T10:00:00Z epoch=3 loss=0.25, accuracy=0.91
// For the final metrics the last value of each name wins.
import { isMetricName, parseMetricNumber } from './metric-number.js';
import { readAllLines, type MetricLineReader, type MetricValues } from './metric-reader.js';

export interface KeyValuePair {
  name: string;
  value: number;
}

const RFC3339_PREFIX = /^\s*\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\s+/;
// A pair starts at the line start or after a separator; `a = 1` is accepted as Katib's regex does.
const PAIR = /(?:^|[\s,;])([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*([^\s,;]+)/g;

/** The `name=value` pairs of one line whose value is a number (possibly NaN or ±Infinity), in order. */
export function parseKeyValueLine(line: string): KeyValuePair[] {
  const text = line.replace(RFC3339_PREFIX, '');
  const pairs: KeyValuePair[] = [];
  for (const match of text.matchAll(PAIR)) {
    const name = match[1]!;
    const value = parseMetricNumber(match[2]!);
    if (value !== undefined && isMetricName(name)) pairs.push({ name, value });
  }
  return pairs;
}

export function createKeyValueReader(): MetricLineReader {
  const values: MetricValues = new Map();
  return {
    readLine(line) {
      for (const { name, value } of parseKeyValueLine(line)) {
        values.delete(name); // keep insertion order = order of last appearance
        values.set(name, value);
      }
    },
    values: () => new Map(values),
  };
}

export function parseKeyValue(text: string): MetricValues {
  return readAllLines(createKeyValueReader(), text);
}
