// Turns the spec's metrics source into something the run feeds stdout lines to and asks for the final
// metrics once the command has exited.
import type { RunAssignment } from '../../../../schemas/src/messages.js';
import { MetricsError } from '../errors.js';
import type { MetricLineReader, MetricValues } from './metric-reader.js';
import { createKeyValueReader } from './parse-keyvalue.js';
import { compileMetricRegex, createRegexReader } from './parse-regex.js';
import { createSummaryReader } from './parse-summary.js';
import { readJsonMetricsFile } from './read-json-file.js';
import { splitRelativePath } from '../safe-path.js';

export interface MetricsSource {
  /** Every stdout line of the run, in order. */
  readLine(line: string): void;
  /** The final metrics (values may be NaN or ±Infinity). Throws MetricsError when they cannot be read. */
  finish(workdir: string): Promise<MetricValues>;
  /** Why a metric may be missing, to follow "metric X not found in output". */
  missingHint(): string;
}

/** Checks the spec before the run starts, so a bad pattern or file path fails without running anything. */
export function openMetricsSource(spec: RunAssignment['metrics'], objectiveMetric: string): MetricsSource {
  switch (spec.source) {
    case 'summary': {
      const reader = createSummaryReader();
      return fromLines(reader, () =>
        reader.sawSeparator()
          ? "(not among the `name: value` lines after the last '---')"
          : "(the output has no '---' line; the summary is read after the last one)",
      );
    }
    case 'keyvalue':
      return fromLines(createKeyValueReader(), () => '(no `name=value` pair with that name on stdout)');
    case 'regex': {
      if (spec.pattern === undefined) throw new MetricsError('metrics.pattern is required when metrics.source is "regex"');
      return fromLines(createRegexReader(compileMetricRegex(spec.pattern), objectiveMetric), () => `(no line matched ${spec.pattern})`);
    }
    case 'json-file': {
      const file = spec.file;
      if (file === undefined) throw new MetricsError('metrics.file is required when metrics.source is "json-file"');
      try {
        splitRelativePath(file);
      } catch (error) {
        throw new MetricsError(`metrics.file: ${(error as Error).message}`, { cause: error });
      }
      return {
        readLine: () => {},
        finish: (workdir) => readJsonMetricsFile(workdir, file),
        missingHint: () => `(not in ${file})`,
      };
    }
    default:
      throw new MetricsError(`metrics.source ${JSON.stringify(spec.source)} is not one of summary, keyvalue, regex, json-file`);
  }
}

function fromLines(reader: MetricLineReader, hint: () => string): MetricsSource {
  return {
    readLine: (line) => reader.readLine(line),
    finish: async () => reader.values(),
    missingHint: hint,
  };
}
