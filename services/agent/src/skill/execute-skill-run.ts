// One skill run, start to finish: the revision's files in a fresh work directory as for a command run,
// `started`, heartbeats, the target's output and every eval's verdict within budget plus grace, one
// result with the skill report. A stop, the agent's SIGTERM or the deadline aborts the model calls and
// predicates in flight; a lost controller ends it without a result.
import type { ResultMessage, RunAssignment, SkillAssignment } from '../../../../schemas/src/messages.js';
import { InvalidAssignmentError, TransportClosedError } from '../errors.js';
import { buildExperimentEnv } from '../experiment-env.js';
import type { ExecuteRunInput } from '../execute-run.js';
import { createReporter } from '../reporter.js';
import type { AgentTransport } from '../transport/transport.js';
import { createWorkdir, removeWorkdir, writeRevisionFiles, type Workdir } from '../workdir.js';
import { createModelCaller } from './model-caller.js';
import { createSkillLog } from './run-log.js';
import { watchInterrupts } from './run-interrupts.js';
import { runSkill, type SkillWork } from './run-skill.js';
import { buildSkillResult, type SkillRunFacts } from './skill-result.js';
import { readSkillFile } from './target-call.js';

/** What executeRun was given, with the assignment's skill part pulled out. */
export type SkillRunInput = ExecuteRunInput & { skill: SkillAssignment };

// setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days).
const MAX_DEADLINE_MS = 2 ** 31 - 1;

/** Resolves with the delivered result; rejects with TransportClosedError when the controller went away. */
export async function executeSkillRun(input: SkillRunInput): Promise<ResultMessage> {
  const { assignment, skill, warn } = input;
  const reporter = createReporter(input.transport, assignment);
  const interrupts = watchInterrupts({ transport: input.transport, run: assignment, signal: input.signal, abandon: input.abandon, warn });
  const log = createSkillLog(reporter, warn);
  const startedAt = Date.now();
  const facts = (work: Partial<SkillWork> & Pick<SkillRunFacts, 'usage'> & { setupProblem?: string }): SkillRunFacts => {
    const interruption = interrupts.interruption();
    return {
      skill,
      verdicts: [],
      evalProblems: [],
      ...work,
      ...(interruption !== undefined && { interrupted: interruption }),
      startedAt,
      finishedAt: Date.now(),
      logTail: log.tail(),
    };
  };
  const noUsage = { calls: 0, inputTokens: 0, outputTokens: 0 };

  let workdir: Workdir | null = null;
  try {
    let deadlineMs: number;
    let env: Record<string, string>;
    let system: string;
    try {
      deadlineMs = deadlineOf(assignment);
      workdir = await createWorkdir(input.workRoot, assignment.runId);
      await writeRevisionFiles(workdir.dir, assignment.files);
      env = buildExperimentEnv({ inherited: input.inheritedEnv, workdir: workdir.dir, tmpDir: workdir.tmpDir, assignmentEnv: assignment.env });
      system = await readSkillFile(workdir.dir, skill.file);
    } catch (error) {
      await log.close();
      return await reporter.result(buildSkillResult(facts({ setupProblem: (error as Error).message, usage: noUsage })));
    }
    if (interrupts.lostReason() !== undefined) throw new TransportClosedError(interrupts.lostReason());
    if (interrupts.interruption() !== undefined) {
      await log.close();
      return await reporter.result(buildSkillResult(facts({ usage: noUsage })));
    }

    await reporter.started();
    const heartbeat = setInterval(
      () => void reporter.heartbeat().catch((error: Error) => warn(`heartbeat: ${error.message}`)),
      Math.max(assignment.heartbeatSeconds, 0.1) * 1000,
    );
    interrupts.startDeadline(deadlineMs, `exceeded budget ${assignment.budgetSeconds}s + grace ${assignment.graceSeconds}s`);
    const model = createModelCaller({ api: input.modelApi, retries: skill.retries, timeoutMs: deadlineMs, signal: interrupts.signal });
    let work: SkillWork;
    try {
      work = await runSkill({ skill, system, workdir: workdir.dir, env, model, signal: interrupts.signal, log: log.line });
    } finally {
      clearInterval(heartbeat);
      interrupts.dispose();
    }
    if (interrupts.lostReason() !== undefined) throw new TransportClosedError(interrupts.lostReason());

    const usage = model.usage();
    log.line(`model calls: ${usage.calls}, ${usage.inputTokens} input tokens, ${usage.outputTokens} output tokens`);
    const result = buildSkillResult(facts({ ...work, usage }));
    await log.close();
    return await reporter.result(result);
  } finally {
    interrupts.dispose();
    if (workdir) await removeWorkdir(workdir).catch((error: Error) => warn(`could not remove ${workdir?.root}: ${error.message}`));
  }
}

function deadlineOf(assignment: RunAssignment): number {
  const { budgetSeconds, graceSeconds } = assignment;
  if (!(budgetSeconds > 0)) throw new InvalidAssignmentError(`budgetSeconds must be greater than 0, got ${budgetSeconds}`);
  if (!(graceSeconds >= 0)) throw new InvalidAssignmentError(`graceSeconds must be 0 or more, got ${graceSeconds}`);
  return Math.min((budgetSeconds + graceSeconds) * 1000, MAX_DEADLINE_MS);
}
