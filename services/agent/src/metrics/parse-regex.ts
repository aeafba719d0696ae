// A user's regex, applied to every line (globally). Two forms:
//   named groups `name` and `value`:   (?<name>\w+) is (?<value>[\d.]+)
//   exactly one capture group, which is the objective metric's value:   val_bpb=([\d.]+)
import { MetricsError } from '../errors.js';
import { isMetricName, parseMetricNumber } from './metric-number.js';
import { readAllLines, type MetricLineReader, type MetricValues } from './metric-reader.js';

export interface MetricRegex {
  /** Compiled with the `g` flag. */
  regex: RegExp;
  /** `named`: groups `name` and `value`; `single`: one group holding the objective metric's value. */
  form: 'named' | 'single';
}

/** Compiles and checks a metrics regex; the controller calls this when it validates a spec. */
export function compileMetricRegex(pattern: string): MetricRegex {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'g');
  } catch (error) {
    throw new MetricsError(`metrics.pattern is not a valid regular expression: ${(error as Error).message}`, { cause: error });
  }
  // An empty alternative always matches, which reveals the groups without needing a sample line.
  const probe = new RegExp(`${pattern}|`).exec('')!;
  const groupCount = probe.length - 1;
  const names = Object.keys(probe.groups ?? {});
  const hasName = names.includes('name');
  const hasValue = names.includes('value');
  if (hasName && hasValue) return { regex, form: 'named' };
  if (hasName || hasValue) {
    throw new MetricsError(`metrics.pattern has a group named ${hasName ? 'name' : 'value'} but no group named ${hasName ? 'value' : 'name'}`);
  }
  if (groupCount === 1) return { regex, form: 'single' };
  throw new MetricsError(
    `metrics.pattern must have the named groups (?<name>…) and (?<value>…), or exactly one capture group for the ` +
      `objective metric's value; it has ${groupCount} capture groups (write (?:…) for a group that should not capture)`,
  );
}

export function createRegexReader(compiled: MetricRegex, objectiveMetric: string): MetricLineReader {
  const values: MetricValues = new Map();
  const regex = new RegExp(compiled.regex.source, compiled.regex.flags);
  return {
    readLine(line) {
      for (const match of line.matchAll(regex)) {
        const name = compiled.form === 'named' ? match.groups?.name : objectiveMetric;
        const raw = compiled.form === 'named' ? match.groups?.value : match[1];
        if (name === undefined || raw === undefined || !isMetricName(name)) continue;
        const value = parseMetricNumber(raw.trim());
        if (value === undefined) continue;
        values.delete(name);
        values.set(name, value);
      }
    },
    values: () => new Map(values),
  };
}

export function parseRegex(text: string, pattern: string, objectiveMetric: string): MetricValues {
  return readAllLines(createRegexReader(compileMetricRegex(pattern), objectiveMetric), text);
}
