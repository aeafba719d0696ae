// Intermediate metrics: every stdout line with `name=value` pairs becomes progress points, shown live
// and used for early stopping. A `step` pair on the line is the points' step rather than a point itself.
import type { MetricPoint } from '../../../../schemas/src/messages.js';
import { parseKeyValueLine } from './parse-keyvalue.js';

export function progressPoints(line: string, ts: number): MetricPoint[] {
  const pairs = parseKeyValueLine(line);
  if (pairs.length === 0) return [];
  const step = pairs.findLast((pair) => pair.name === 'step')?.value;
  const points: MetricPoint[] = [];
  for (const { name, value } of pairs) {
    // JSON cannot carry NaN or Infinity; a diverged value shows in the log and in the final metrics.
    if (name === 'step' || !Number.isFinite(value)) continue;
    points.push(step !== undefined && Number.isFinite(step) ? { name, value, step, ts } : { name, value, ts });
  }
  return points;
}
