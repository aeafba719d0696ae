// autoresearch's summary: `name: value` lines after the last line that is `---`, e.g.
//   ---
//   val_bpb: 0.997900
//   peak_vram_mb: 45060.2
// Anything before the last `---` (training chatter such as `loss: 2.31`) is not the summary.
import { isMetricName, parseMetricNumber } from './metric-number.js';
import { readAllLines, type MetricLineReader, type MetricValues } from './metric-reader.js';

const SUMMARY_LINE = /^\s*([^\s:]+):\s*(\S+)\s*$/;

export function createSummaryReader(): MetricLineReader & { sawSeparator(): boolean } {
  let values: MetricValues = new Map();
  let separatorSeen = false;
  return {
    readLine(line) {
      if (line.trim() === '---') {
        separatorSeen = true;
        values = new Map();
        return;
      }
      if (!separatorSeen) return;
      const match = SUMMARY_LINE.exec(line);
      if (!match || !isMetricName(match[1]!)) return;
      const value = parseMetricNumber(match[2]!);
      if (value !== undefined) values.set(match[1]!, value);
    },
    values: () => new Map(values),
    sawSeparator: () => separatorSeen,
  };
}

export function parseSummary(text: string): MetricValues {
  return readAllLines(createSummaryReader(), text);
}
