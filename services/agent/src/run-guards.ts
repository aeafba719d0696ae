// The study's command guards, run one after another once the experiment succeeded and its metric was
// read. A guard is experiment code like the command itself: the same directory, the same environment (never
// the agent's), its own process group, and its own time limit. Every guard runs, so a failure report names
// all that broke, not only the first.
import { GUARD_TAIL_LINE_CHARS, GUARD_TAIL_LINES, type GuardAssignment, type GuardResult } from '../../../schemas/src/messages.js';
import { GUARD_KILL_GRACE_SECONDS } from '../../../schemas/src/study-spec.js';
import { describeExitCode } from './outcome.js';
import { createLogTail } from './output/log-tail.js';
import { runCommand, type OutputStream, type RunningCommand } from './run-command.js';

const MAX_REASON = 2000;

export interface RunGuardsOptions {
  cwd: string;
  /** From buildExperimentEnv: what the experiment sees, and nothing of the agent's. */
  env: Record<string, string>;
  /** Each line a guard prints, for the run's live log. */
  onLine: (guard: string, stream: OutputStream, text: string) => void;
  /** What the agent did (started a guard, its verdict, signals sent), for the run's log. */
  onNote: (text: string) => void;
}

export interface GuardsOutcome {
  /** One per guard that ran to its end, in order. */
  results: GuardResult[];
  /** A stop or the loss of the controller cut the guards short: their results are not a verdict. */
  interrupted: boolean;
}

export interface RunningGuards {
  /** SIGTERM to the running guard (SIGKILL after the grace period); no further guard starts. */
  stop(): void;
  /** SIGKILL to the running guard; no further guard starts. */
  abandon(): void;
  readonly done: Promise<GuardsOutcome>;
}

export function runGuards(guards: readonly GuardAssignment[], options: RunGuardsOptions): RunningGuards {
  let current: RunningCommand | null = null;
  let interruption: 'stop' | 'abandon' | null = null;
  const done = (async (): Promise<GuardsOutcome> => {
    const results: GuardResult[] = [];
    for (const guard of guards) {
      if (interruption !== null) break;
      options.onNote(`guard "${guard.name}": ${guard.command} (timeout ${guard.timeoutSeconds} s)`);
      const tail = createLogTail(GUARD_TAIL_LINES);
      current = runCommand({
        command: guard.command,
        cwd: options.cwd,
        env: options.env,
        budgetSeconds: guard.timeoutSeconds,
        graceSeconds: GUARD_KILL_GRACE_SECONDS,
        onLine: (stream, line) => {
          tail.push(cutLine(line.text));
          options.onLine(guard.name, stream, line.text);
        },
        onNote: (text) => options.onNote(`guard "${guard.name}": ${text}`),
      });
      // A stop that came between two guards reaches this one at once.
      if (interruption === 'abandon') current.abandon();
      else if (interruption === 'stop') current.stop();
      const ended = await current.done;
      current = null;
      if (ended.ending === 'stopped' || ended.ending === 'abandoned') break;
      const result: GuardResult = {
        name: guard.name,
        passed: ended.ending === 'exited' && ended.spawnError === undefined && ended.signal === null && ended.exitCode === 0,
        exitCode: ended.exitCode,
        signal: ended.signal,
        timedOut: ended.ending === 'budget',
        durationMs: ended.finishedAt - ended.startedAt,
        outputTail: tail.lines(),
      };
      if (!result.passed) result.reason = failureOf(ended, guard.timeoutSeconds).slice(0, MAX_REASON);
      options.onNote(`guard "${guard.name}" ${result.passed ? 'passed' : `failed: ${result.reason}`} (${(result.durationMs / 1000).toFixed(1)} s)`);
      results.push(result);
    }
    return { results, interrupted: interruption !== null };
  })();
  return {
    stop() {
      interruption ??= 'stop';
      current?.stop();
    },
    abandon() {
      interruption = 'abandon';
      current?.abandon();
    },
    done,
  };
}

function failureOf(ended: Awaited<RunningCommand['done']>, timeoutSeconds: number): string {
  if (ended.spawnError !== undefined) return `could not start: ${ended.spawnError}`;
  if (ended.ending === 'budget') {
    return `did not finish within its timeout of ${timeoutSeconds} s${ended.killedAfterGrace ? ` (SIGKILL after ${GUARD_KILL_GRACE_SECONDS} s more)` : ''}`;
  }
  if (ended.signal !== null) return `killed by ${ended.signal}`;
  return describeExitCode(ended.exitCode);
}

function cutLine(text: string): string {
  return text.length <= GUARD_TAIL_LINE_CHARS ? text : `${text.slice(0, GUARD_TAIL_LINE_CHARS - 1)}…`;
}
