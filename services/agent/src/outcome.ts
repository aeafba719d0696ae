// The one place that decides a run's status and the reason a person reads. Pure, so every case is a
// unit test: how it ended (budget, stop, signal, exit code), then whether the objective metric is there
// and finite.
import { constants } from 'node:os';
import type { RunStatus } from '../../../schemas/src/messages.js';
import type { MetricValues } from './metrics/metric-reader.js';
import type { CommandResult } from './run-command.js';

export interface RunFacts {
  /** Why the run could not even start (an unsafe path, a bad regex); the command never ran. */
  setupProblem?: string;
  command?: CommandResult;
  budgetSeconds: number;
  graceSeconds: number;
  stopReason?: string;
  objectiveMetric: string;
  metrics: MetricValues;
  /** The final metrics could not be read (a missing or malformed metrics file). */
  metricsProblem?: string;
  /** Why a missing metric may be missing, e.g. "(no '---' line before the summary)". */
  missingHint?: string;
  /** A line that is exactly `FAIL` appeared, autoresearch's signal for a diverged run. */
  printedFail: boolean;
  /** A stop came while the guards ran, after the command had succeeded: without their verdict, it is no success. */
  guardsInterrupted?: boolean;
}

export interface RunOutcome {
  status: RunStatus;
  reason?: string;
}

export function decideRunOutcome(facts: RunFacts): RunOutcome {
  if (facts.setupProblem !== undefined) return { status: 'crashed', reason: `could not prepare the run: ${facts.setupProblem}` };
  const command = facts.command;
  if (command === undefined) {
    return facts.stopReason !== undefined ? { status: 'stopped', reason: facts.stopReason } : { status: 'crashed', reason: 'the command never ran' };
  }
  if (command.spawnError !== undefined) return { status: 'crashed', reason: `could not start the command: ${command.spawnError}` };

  switch (command.ending) {
    case 'stopped':
      return { status: 'stopped', reason: facts.stopReason ?? 'stopped on request' };
    case 'abandoned':
      return { status: 'stopped', reason: 'the controller went away' };
    case 'budget':
      return {
        status: 'timeout',
        reason: command.killedAfterGrace
          ? `exceeded budget ${facts.budgetSeconds}s + grace ${facts.graceSeconds}s`
          : `exceeded budget ${facts.budgetSeconds}s (ended after SIGTERM, within the grace period)`,
      };
    case 'exited':
      break;
  }

  const failed = (reason: string): RunOutcome => ({ status: 'crashed', reason: facts.printedFail ? `printed FAIL; ${reason}` : reason });
  if (command.signal !== null) return failed(`killed by ${command.signal}`);
  if (command.exitCode !== 0) return failed(describeExitCode(command.exitCode));
  if (facts.metricsProblem !== undefined) return failed(facts.metricsProblem);

  const objective = facts.metrics.get(facts.objectiveMetric);
  if (objective === undefined) {
    return failed(`metric ${facts.objectiveMetric} not found in output${facts.missingHint ? ` ${facts.missingHint}` : ''}`);
  }
  if (!Number.isFinite(objective)) return failed(`${facts.objectiveMetric} is ${String(objective)}`);

  if (facts.guardsInterrupted) return { status: 'stopped', reason: facts.stopReason ?? 'stopped on request' };

  const ignored = [...facts.metrics].filter(([, value]) => !Number.isFinite(value));
  if (ignored.length === 0) return { status: 'succeeded' };
  return {
    status: 'succeeded',
    reason: `left out metrics that are not finite: ${ignored.map(([name, value]) => `${name} is ${String(value)}`).join(', ')}`,
  };
}

/** Only finite values can travel in a message (JSON has no NaN). */
export function finiteMetrics(metrics: MetricValues): Record<string, number> {
  return Object.fromEntries([...metrics].filter(([, value]) => Number.isFinite(value)));
}

/** `exit code 139 (128 + SIGSEGV: a child of the shell was killed by a signal)` */
export function describeExitCode(code: number | null): string {
  if (code === null) return 'ended without an exit code';
  if (code > 128 && code < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0];
    if (name) return `exit code ${code} (128 + ${name}: the command was killed by a signal)`;
  }
  return `exit code ${code}`;
}
