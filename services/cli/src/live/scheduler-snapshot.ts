// The panel's snapshot of a study that runs in this process (`autoresearch run`), kept up to date from the
// scheduler's events: no polling of the database the scheduler is busy with.
import type { Scheduler } from '../../../controller/src/scheduler/scheduler.js';
import type { ExperimentRow, StudyRow } from '../../../controller/src/store/schema.js';
import { noticeOf } from '../view/notice-text.js';
import { experimentLineOf, toMillis, type ExperimentLine, type RunInFlight, type StudySnapshot } from '../view/study-snapshot.js';

const NOTICES_KEPT = 5;

/** Follows the scheduler from now on; `onChange` fires after each event that changed the snapshot. */
export function followScheduler(scheduler: Scheduler, study: StudyRow, experiments: readonly ExperimentRow[], slots: number, onChange: () => void): () => StudySnapshot {
  const byId = new Map<string, ExperimentLine>(experiments.map((e) => [e.id, experimentLineOf(e)]));
  // Runs by id, with the experiment they belong to: its number is looked up when the snapshot is taken.
  const runs = new Map<string, { experimentId: string; run: Omit<RunInFlight, 'experimentNumber'> }>();
  const notices: string[] = [];
  let status: string = study.status;
  let reason: string | null = study.stopReason;
  let stoppedAt: number | null = null;

  const changed = () => onChange();
  const notice = (type: string, payload: Record<string, unknown>) => {
    const text = noticeOf(type, payload);
    if (text === null) return;
    notices.push(text);
    if (notices.length > NOTICES_KEPT) notices.shift();
    changed();
  };
  const mine = (studyId: string) => studyId === study.id;

  scheduler.on('experiment.created', ({ experiment }) => {
    if (!mine(experiment.studyId)) return;
    byId.set(experiment.id, experimentLineOf(experiment));
    changed();
  });
  scheduler.on('experiment.decided', ({ experiment, decision }) => {
    if (!mine(experiment.studyId)) return;
    byId.set(experiment.id, { ...experimentLineOf(experiment), status: 'decided', outcome: decision.outcome, score: decision.score, reason: decision.reason });
    changed();
  });
  scheduler.on('branch.adopted', ({ experiment }) => {
    if (!mine(experiment.studyId)) return;
    byId.set(experiment.id, experimentLineOf(experiment));
    changed();
  });
  scheduler.on('run.started', ({ run, slot }) => {
    if (!mine(run.studyId)) return;
    runs.set(run.id, {
      experimentId: run.experimentId,
      // The agent is being started now; the start it reports goes to the database only.
      run: { runId: run.id, repeatIndex: run.repeatIndex, role: run.role, attempt: run.attempt, slot: slot.name, startedAt: toMillis(run.startedAt) ?? Date.now() },
    });
    changed();
  });
  scheduler.on('run.finished', ({ runId }) => {
    if (runs.delete(runId)) changed();
  });
  scheduler.on('experiment.extended', ({ experiment, from, to }) => {
    if (!mine(experiment.studyId)) return;
    const known = byId.get(experiment.id);
    if (known) known.repeats += to - from;
    notice('experiment.extended', { number: experiment.number, from, to });
  });
  scheduler.on('experiment.promoted', ({ experiment, from, to, runs: added }) => {
    if (!mine(experiment.studyId)) return;
    const known = byId.get(experiment.id);
    if (known) known.repeats += added;
    notice('experiment.promoted', { number: experiment.number, fromStage: from, toStage: to, runs: added });
  });
  scheduler.on('experiment.confirming', ({ experiment, runs: fresh }) => {
    if (mine(experiment.studyId)) notice('experiment.confirming', { number: experiment.number, runs: fresh });
  });
  scheduler.on('study.stopping', ({ studyId, reason: why }) => {
    if (!mine(studyId)) return;
    status = 'stopping';
    reason = why;
    notice('study.stopping', { reason: why });
  });
  scheduler.on('holdout.started', ({ studyId, experimentNumber, runs: holdoutRuns }) => {
    if (mine(studyId)) notice('holdout.started', { experimentNumber, runs: holdoutRuns });
  });
  scheduler.on('study.stopped', ({ study: stopped }) => {
    if (!mine(stopped.id)) return;
    status = stopped.status;
    reason = stopped.stopReason;
    stoppedAt = toMillis(stopped.stoppedAt) ?? Date.now();
    changed();
  });

  return () => ({
    name: study.name,
    status,
    reason,
    spec: study.spec,
    startedAt: toMillis(study.startedAt) ?? Date.now(),
    stoppedAt,
    experiments: [...byId.values()],
    runsInFlight: [...runs.values()].map(({ experimentId, run }) => ({ ...run, experimentNumber: byId.get(experimentId)?.number ?? null })),
    slots,
    notices: [...notices],
  });
}

