// One run, start to finish: prepare the work directory, run the command under its budget while
// streaming logs, progress and heartbeats, read the final metrics, run the study's command guards if it
// succeeded, decide the status, report the result.
// A skill run (the assignment has `skill`) makes model calls instead of running a command: skill/.
import type { GuardResult, ResultMessage, RunAssignment } from '../../../schemas/src/messages.js';
import type { ModelApiSettings } from './config.js';
import { InvalidAssignmentError, TransportClosedError } from './errors.js';
import { buildExperimentEnv } from './experiment-env.js';
import type { MetricValues } from './metrics/metric-reader.js';
import { openMetricsSource, type MetricsSource } from './metrics/metrics-source.js';
import { decideRunOutcome, finiteMetrics, type RunFacts } from './outcome.js';
import { createReporter, type ResultBody, type RunReporter } from './reporter.js';
import { runCommand, type CommandResult, type RunningCommand } from './run-command.js';
import { runGuards } from './run-guards.js';
import { createRunOutput } from './run-output.js';
import type { AgentTransport } from './transport/transport.js';
import { createWorkdir, removeWorkdir, writeRevisionFiles, type Workdir } from './workdir.js';

export interface ExecuteRunInput {
  assignment: RunAssignment;
  transport: AgentTransport;
  workRoot: string;
  inheritedEnv: Record<string, string>;
  /** The model API a skill run calls; never given to experiment code. */
  modelApi?: ModelApiSettings;
  /** Aborting stops the run like a stop control message; the abort reason (a string) becomes the result's reason. */
  signal?: AbortSignal;
  /** Aborting kills the run at once and reports nothing, as when the controller is gone. */
  abandon?: AbortSignal;
  warn: (problem: string) => void;
}

// setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days).
const MAX_SECONDS = 24 * 24 * 3600;

/** Resolves with the delivered result; rejects with TransportClosedError when the controller went away. */
export async function executeRun(input: ExecuteRunInput): Promise<ResultMessage> {
  if (input.assignment.skill !== undefined) {
    // Loaded only for a skill run: a command run should not pay for the model SDK (about 0.2 s) at every start.
    const { executeSkillRun } = await import('./skill/execute-skill-run.js');
    return executeSkillRun({ ...input, skill: input.assignment.skill });
  }
  const { assignment, transport, warn } = input;
  const reporter = createReporter(transport, assignment);
  const base = { budgetSeconds: assignment.budgetSeconds, graceSeconds: assignment.graceSeconds, objectiveMetric: assignment.objectiveMetric };

  /** The experiment's command, then its guards: what a stop or the loss of the controller reaches. */
  let running: Pick<RunningCommand, 'stop' | 'abandon'> | null = null;
  let stopReason: string | undefined;
  let lostReason: string | undefined;
  const requestStop = (reason: string) => {
    stopReason ??= reason;
    running?.stop();
  };
  const giveUp = (reason: string) => {
    lostReason ??= reason;
    running?.abandon();
  };
  /** Waits for what runs now (the command, then the guards), reached at once by a stop or loss that came before it started. */
  const track = async <T>(started: Pick<RunningCommand, 'stop' | 'abandon'> & { done: Promise<T> }): Promise<T> => {
    running = started;
    if (lostReason !== undefined) started.abandon();
    else if (stopReason !== undefined) started.stop();
    try {
      return await started.done;
    } finally {
      running = null;
    }
  };
  transport.onControl((message) => {
    if (message.runId !== assignment.runId || message.attempt !== assignment.attempt) {
      warn(`ignored a control message for run ${message.runId} attempt ${message.attempt}`);
      return;
    }
    if (message.action === 'early-stop') requestStop(`early-stopped${message.reason ? `: ${message.reason}` : ''}`);
    else requestStop(message.reason ? `stopped: ${message.reason}` : 'stopped on request');
  });
  transport.onLost(giveUp);
  whenAborted(input.abandon, giveUp);
  whenAborted(input.signal, requestStop);

  let workdir: Workdir | null = null;
  try {
    let metrics: MetricsSource;
    let env: Record<string, string>;
    try {
      checkLimits(assignment);
      metrics = openMetricsSource(assignment.metrics, assignment.objectiveMetric);
      workdir = await createWorkdir(input.workRoot, assignment.runId);
      await writeRevisionFiles(workdir.dir, assignment.files);
      env = buildExperimentEnv({ inherited: input.inheritedEnv, workdir: workdir.dir, tmpDir: workdir.tmpDir, assignmentEnv: assignment.env });
    } catch (error) {
      return await reportWithoutRunning(reporter, { ...base, setupProblem: (error as Error).message });
    }
    if (lostReason !== undefined) throw new TransportClosedError(lostReason);
    if (stopReason !== undefined) return await reportWithoutRunning(reporter, { ...base, stopReason });

    const output = createRunOutput(reporter, metrics, warn);
    await reporter.started();
    const heartbeat = setInterval(
      () => void reporter.heartbeat().catch((error: Error) => warn(`heartbeat: ${error.message}`)),
      Math.max(assignment.heartbeatSeconds, 0.1) * 1000,
    );
    let facts: RunFacts & { command: CommandResult };
    let guards: GuardResult[] | undefined;
    // Heartbeats go on while the guards run: a long test suite must not look like a silent agent.
    try {
      const command = await track(runCommand({
        command: assignment.command,
        cwd: workdir.dir,
        env,
        budgetSeconds: assignment.budgetSeconds,
        graceSeconds: assignment.graceSeconds,
        onLine: output.line,
        onNote: output.note,
      }));
      if (lostReason !== undefined) throw new TransportClosedError(lostReason);

      let finalMetrics: MetricValues = new Map();
      let metricsProblem: string | undefined;
      try {
        finalMetrics = await metrics.finish(workdir.dir);
      } catch (error) {
        metricsProblem = (error as Error).message;
      }
      facts = {
        ...base,
        command,
        metrics: finalMetrics,
        missingHint: metrics.missingHint(),
        printedFail: output.printedFail(),
        ...(metricsProblem !== undefined && { metricsProblem }),
      };
      // Guards judge only a run that succeeded: a crash is a crash whatever they would say. A stop that came
      // before they ran, or while they ran, leaves the run without their verdict: it is stopped, not a success.
      if (assignment.guards?.length && decideRunOutcome(facts).status === 'succeeded') {
        if (stopReason !== undefined) facts.guardsInterrupted = true;
        else {
          const checked = await track(runGuards(assignment.guards, { cwd: workdir.dir, env, onLine: output.guardLine, onNote: output.note }));
          if (lostReason !== undefined) throw new TransportClosedError(lostReason);
          guards = checked.results;
          if (checked.interrupted) facts.guardsInterrupted = true;
        }
      }
      if (stopReason !== undefined) facts.stopReason = stopReason;
    } finally {
      clearInterval(heartbeat);
    }
    await output.close();
    const body = resultBody(facts, facts.command.startedAt, facts.command.finishedAt, output.tail());
    return await reporter.result(guards ? { ...body, guards } : body);
  } finally {
    if (workdir) await removeWorkdir(workdir).catch((error: Error) => warn(`could not remove ${workdir?.root}: ${error.message}`));
  }
}

function reportWithoutRunning(reporter: RunReporter, facts: Omit<RunFacts, 'metrics' | 'printedFail'>): Promise<ResultMessage> {
  const now = Date.now();
  return reporter.result(resultBody({ ...facts, metrics: new Map(), printedFail: false }, now, now, []));
}

function resultBody(facts: RunFacts, startedAt: number, finishedAt: number, logTail: string[]): ResultBody {
  const outcome = decideRunOutcome(facts);
  return {
    status: outcome.status,
    ...(outcome.reason !== undefined && { reason: outcome.reason }),
    exitCode: facts.command?.exitCode ?? null,
    signal: facts.command?.signal ?? null,
    startedAt,
    finishedAt,
    peakMemoryMb: facts.command?.peakMemoryMb ?? null,
    metrics: finiteMetrics(facts.metrics),
    logTail,
  };
}

function whenAborted(signal: AbortSignal | undefined, then: (reason: string) => void): void {
  if (signal === undefined) return;
  const fire = () => then(String(signal.reason));
  if (signal.aborted) fire();
  else signal.addEventListener('abort', fire, { once: true });
}

function checkLimits(assignment: RunAssignment): void {
  const { budgetSeconds, graceSeconds } = assignment;
  if (!(budgetSeconds > 0 && budgetSeconds <= MAX_SECONDS)) {
    throw new InvalidAssignmentError(`budgetSeconds must be greater than 0 and at most ${MAX_SECONDS}, got ${budgetSeconds}`);
  }
  if (!(graceSeconds >= 0 && graceSeconds <= MAX_SECONDS)) {
    throw new InvalidAssignmentError(`graceSeconds must be between 0 and ${MAX_SECONDS}, got ${graceSeconds}`);
  }
}
