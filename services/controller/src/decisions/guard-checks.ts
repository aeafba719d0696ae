// Guards (spec.guards): checks every run of a candidate must pass for it to be kept, beside the metric.
// Command guards ran on the agent, which reports each one's result; the limits (peak memory, run time)
// are checked here on what the runs reported. Pure: the decision gathers the runs and records the verdicts.
import type { GuardResult } from '../../../../schemas/src/messages.js';
import type { GuardSpec } from '../../../../schemas/src/study-spec.js';
import type { GuardVerdict } from '../store/schema.js';

/** What a guard looks at in one succeeded run. */
export interface GuardedRun {
  /** 1-based, as reasons count runs. */
  run: number;
  /** The command guards' results the agent reported; null when it reported none. */
  guards: GuardResult[] | null;
  /** The run's peak memory: the script's peak_vram_mb if printed, else the agent's measured peak. */
  memoryMb: number | null;
  /** The experiment command's duration, guards excluded. */
  seconds: number | null;
}

const LAST_LINE_CHARS = 200;

/** Each guard's verdict over the runs, in the spec's order. */
export function evaluateGuards(guards: readonly GuardSpec[], runs: readonly GuardedRun[]): GuardVerdict[] {
  return guards.map((guard) => {
    const kind = guard.command !== undefined ? 'command' : guard.maxPeakMemoryMb !== undefined ? 'maxPeakMemoryMb' : 'maxRunSeconds';
    const verdict: GuardVerdict = { name: guard.name, kind, passed: true, runs: runs.length };
    let unmeasured = 0;
    for (const run of runs) {
      const problem = problemOf(guard, kind, run);
      if (problem === UNMEASURED) unmeasured += 1;
      else if (problem !== null) return { ...verdict, passed: false, failure: { run: run.run, reason: problem } };
    }
    return unmeasured > 0 ? { ...verdict, unmeasured } : verdict;
  });
}

/**
 * A limit with nothing to check: a run too short for the agent to sample its memory (and no peak_vram_mb
 * printed). Failing it would make the verdict depend on the sampler's timing, so it passes, counted.
 */
const UNMEASURED = Symbol('unmeasured');

/** Why this run fails the guard, or null when it passes. */
function problemOf(guard: GuardSpec, kind: GuardVerdict['kind'], run: GuardedRun): string | null | typeof UNMEASURED {
  switch (kind) {
    case 'command': {
      const result = run.guards?.find((g) => g.name === guard.name);
      // A guard nobody ran has not passed: an agent that skipped it must not let a candidate through.
      if (!result) return 'no result was reported for it (the agent did not run it)';
      if (result.passed) return null;
      const lastLine = [...result.outputTail].reverse().find((line) => line.trim() !== '');
      return `${result.reason ?? 'failed'}${lastLine ? `: ${cut(lastLine.trim())}` : ''}`;
    }
    case 'maxPeakMemoryMb': {
      const limit = guard.maxPeakMemoryMb!;
      if (run.memoryMb === null) return UNMEASURED;
      return run.memoryMb > limit ? `peak memory ${run.memoryMb.toFixed(1)} MB > ${limit} MB` : null;
    }
    case 'maxRunSeconds': {
      const limit = guard.maxRunSeconds!;
      if (run.seconds === null) return UNMEASURED;
      return run.seconds > limit ? `ran ${run.seconds.toFixed(1)} s > ${limit} s` : null;
    }
  }
}

/**
 * The reason a candidate failed its guards, naming the first failing guard, the run and why
 * (`guard "tests" failed on run 1 (exit code 1: AssertionError: ...)`), and any other that failed; null
 * when every guard passed.
 */
export function describeGuardFailure(verdicts: readonly GuardVerdict[]): string | null {
  const failed = verdicts.filter((v) => !v.passed);
  const [first, ...others] = failed;
  if (!first?.failure) return null;
  const also = others.length > 0 ? `; also failed: ${others.map((v) => `"${v.name}"`).join(', ')}` : '';
  return `guard "${first.name}" failed on run ${first.failure.run} (${first.failure.reason})${also}`;
}

function cut(text: string): string {
  return text.length <= LAST_LINE_CHARS ? text : `${text.slice(0, LAST_LINE_CHARS - 1)}…`;
}

/** A guard in words, for the mutator's rules: `tests: \`npm test\` must exit 0 within 60 s`. */
export function describeGuard(guard: GuardSpec, defaultTimeoutSeconds: number): string {
  if (guard.command !== undefined) return `${guard.name}: \`${guard.command}\` must exit 0 within ${guard.timeoutSeconds ?? defaultTimeoutSeconds} s, run after the experiment in its directory`;
  if (guard.maxPeakMemoryMb !== undefined) return `${guard.name}: the peak memory of every run must stay at or below ${guard.maxPeakMemoryMb} MB`;
  return `${guard.name}: every run must finish within ${guard.maxRunSeconds} s`;
}

/** The first failed command guard among a run's results, if any. */
export function failedCommandGuard(results: readonly GuardResult[] | null): GuardResult | undefined {
  return results?.find((result) => !result.passed);
}
