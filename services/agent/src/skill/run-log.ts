// What a skill run says while it goes: lines on the agent's stream of the live log (batched like a
// command's output) and the last of them for the result's tail.
import type { LogLine } from '../../../../schemas/src/messages.js';
import { createBatcher } from '../output/batcher.js';
import { createLogTail } from '../output/log-tail.js';
import type { RunReporter } from '../reporter.js';
import { clip } from './verdict.js';

export interface SkillLog {
  line(text: string): void;
  tail(): string[];
  /** Sends what is still batched. */
  close(): Promise<void>;
}

const LOG_TAIL_LINES = 50;
const MAX_LINE = 4000;

export function createSkillLog(reporter: RunReporter, warn: (problem: string) => void): SkillLog {
  const lines = createBatcher<LogLine>({
    maxItems: 200,
    intervalMs: 250,
    maxPending: 5_000,
    send: (batch) => reporter.log(batch),
    onProblem: (problem) => warn(`log lines: ${problem}`),
  });
  const tail = createLogTail(LOG_TAIL_LINES);
  return {
    line(text) {
      const line = clip(text.replace(/\s*[\r\n]+\s*/g, ' '), MAX_LINE);
      lines.push({ ts: Date.now(), stream: 'agent', line });
      tail.push(line);
    },
    tail: () => tail.lines(),
    close: () => lines.close(),
  };
}
