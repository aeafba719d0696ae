// What an agent is told to run: the revision's files, the command (or the skill run) and its limits. Served to agents by
// GET /v1/runs/:id/assignment, and handed straight to a warm embedded agent with its run (no request).
import type { GuardAssignment, RunAssignment } from '../../../../schemas/src/messages.js';
import { GUARD_TIMEOUT_DEFAULT_SECONDS, type StudySpec } from '../../../../schemas/src/study-spec.js';
import { NotFoundError } from '../errors.js';
import { isStaged, stageOf } from '../spec/stages.js';
import type { RunRow, StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { buildSkillAssignment } from './skill-assignment.js';

/** How often agents report that they are alive, unless the controller says otherwise. */
export const HEARTBEAT_SECONDS = 5;

/** `knownStudy`: the run's study when the caller has it already, saving a query on the way to a slot. */
export async function buildRunAssignment(store: Store, run: RunRow, heartbeatSeconds = HEARTBEAT_SECONDS, knownStudy?: StudyRow): Promise<RunAssignment> {
  const study = knownStudy ?? (await store.getStudy(run.studyId));
  if (!study) throw new NotFoundError(`study ${run.studyId}`);
  const files = await store.getRevisionFiles(run.revisionId);
  const { run: runSpec, skill } = study.spec;
  let skillAssignment: RunAssignment['skill'];
  if (study.spec.flavor === 'skill' && skill) {
    const experiment = await store.getExperiment(run.experimentId);
    if (!experiment) throw new NotFoundError(`experiment ${run.experimentId}`);
    skillAssignment = buildSkillAssignment(skill, run, experiment.repeats, files);
  }
  const commandGuards = commandGuardsOf(study.spec);
  const stage = stageOf(study.spec, run.stage);
  return {
    runId: run.id,
    attempt: run.attempt,
    revisionId: run.revisionId,
    // A skill run has no command: the agent makes the model calls of `skill` instead.
    command: runSpec.command ?? '',
    // With stages, the run's stage sets its budget; the script is told which stage, and how long, it has.
    budgetSeconds: stage.budgetSeconds,
    graceSeconds: runSpec.graceSeconds,
    objectiveMetric: study.spec.objective.metric,
    heartbeatSeconds,
    env: isStaged(study.spec) ? { ...runSpec.env, AUTORESEARCH_STAGE: stage.name, AUTORESEARCH_BUDGET_SECONDS: String(stage.budgetSeconds) } : runSpec.env,
    metrics: runSpec.metrics,
    files: files.map((f) => ({ path: f.path, mode: f.mode, contentBase64: f.content.toString('base64') })),
    ...(skillAssignment && { skill: skillAssignment }),
    ...(commandGuards.length > 0 && { guards: commandGuards }),
  };
}

/** The guards an agent runs; the limit guards are checked by the decision, on what the runs report. */
export function commandGuardsOf(spec: StudySpec): GuardAssignment[] {
  return (spec.guards ?? []).flatMap((guard) =>
    guard.command === undefined ? [] : [{ name: guard.name, command: guard.command, timeoutSeconds: guard.timeoutSeconds ?? GUARD_TIMEOUT_DEFAULT_SECONDS }],
  );
}
