// Where the experiment's output goes while it runs: every line to the live log (batched), the last
// lines to the result's tail, stdout lines to the final-metrics reader and to live progress points.
import type { LogLine, MetricPoint } from '../../../schemas/src/messages.js';
import type { MetricsSource } from './metrics/metrics-source.js';
import { progressPoints } from './metrics/progress-points.js';
import { createBatcher } from './output/batcher.js';
import { MAX_LINE_CHARS, type Line } from './output/line-splitter.js';
import { createLogTail } from './output/log-tail.js';
import type { RunReporter } from './reporter.js';
import type { OutputStream } from './run-command.js';

export interface RunOutput {
  line(stream: OutputStream, line: Line): void;
  /** Something the agent did to the run (a signal it sent), shown in the log as the `agent` stream. */
  note(text: string): void;
  /** A line a guard printed: to the live log only, marked with the guard's name; never read as a metric. */
  guardLine(guard: string, stream: OutputStream, text: string): void;
  tail(): string[];
  /** A line that is exactly `FAIL` appeared: autoresearch's signal for a diverged run. */
  printedFail(): boolean;
  /** Sends what is still batched. */
  close(): Promise<void>;
}

const LOG_TAIL_LINES = 50;
const BATCH = { maxItems: 200, intervalMs: 250, maxPending: 20_000 };

export function createRunOutput(reporter: RunReporter, metrics: MetricsSource, warn: (problem: string) => void): RunOutput {
  const logs = createBatcher<LogLine>({ ...BATCH, send: (lines) => reporter.log(lines), onProblem: (p) => warn(`log lines: ${p}`) });
  const progress = createBatcher<MetricPoint>({ ...BATCH, send: (points) => reporter.progress(points), onProblem: (p) => warn(`progress: ${p}`) });
  const tail = createLogTail(LOG_TAIL_LINES);
  let printedFail = false;
  return {
    line(stream, line) {
      const ts = Date.now();
      logs.push({ ts, stream, line: line.text });
      tail.push(line.text);
      if (line.text.trim() === 'FAIL') printedFail = true;
      // A cut line could end mid-number; it is never read as a metric.
      if (stream !== 'stdout' || line.truncated) return;
      metrics.readLine(line.text);
      for (const point of progressPoints(line.text, ts)) progress.push(point);
    },
    note: (text) => logs.push({ ts: Date.now(), stream: 'agent', line: text }),
    // Cut back to the cap a log line has: the mark makes a line at the cap longer.
    guardLine: (guard, stream, text) => logs.push({ ts: Date.now(), stream, line: `[guard ${guard}] ${text}`.slice(0, MAX_LINE_CHARS) }),
    tail: () => tail.lines(),
    printedFail: () => printedFail,
    close: async () => void (await Promise.all([logs.close(), progress.close()])),
  };
}
