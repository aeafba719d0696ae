// The controller log's account of experiments and studies, written from the scheduler's events, each line
// bound to its ids (log-context.ts). Runs are logged by the scheduler itself, which holds their loggers.
import type { Logger } from 'pino';
import { experimentLogger, studyLogger } from '../log-context.js';
import type { Scheduler } from './scheduler.js';

export function logSchedulerEvents(scheduler: Scheduler, log: Logger): void {
  scheduler.on('experiment.created', ({ experiment }) =>
    experimentLogger(log, experiment).info({ kind: experiment.kind, runs: experiment.repeats, description: experiment.description }, 'experiment created'));
  scheduler.on('experiment.decided', ({ experiment, decision }) =>
    experimentLogger(log, experiment).info({ outcome: decision.outcome, score: decision.score ?? null, reason: decision.reason }, 'experiment decided'));
  scheduler.on('experiment.extended', ({ experiment, from, to, reason }) =>
    experimentLogger(log, experiment).info({ from, to, reason }, 'experiment extended: promising, not yet beyond the noise'));
  scheduler.on('experiment.confirming', ({ experiment, runs, reason }) =>
    experimentLogger(log, experiment).info({ runs, reason }, 'experiment confirming: fresh runs must hold the gain'));
  scheduler.on('experiment.promoted', ({ experiment, from, to, runs, reason }) =>
    experimentLogger(log, experiment).info({ from, to, runs, reason }, 'experiment promoted to its next stage'));
  scheduler.on('branch.adopted', ({ experiment }) =>
    experimentLogger(log, experiment).info({ reason: experiment.reason }, 'branch adopted the best head'));
  scheduler.on('holdout.started', ({ studyId, experimentNumber, runs, reason }) =>
    studyLogger(log, studyId).info({ experimentNumber, runs, reason }, 'final holdout runs started'));
  scheduler.on('study.stopping', ({ studyId, reason }) => studyLogger(log, studyId).info({ reason }, 'study stopping'));
  scheduler.on('study.stopped', ({ study }) => studyLogger(log, study.id).info({ status: study.status, reason: study.stopReason }, 'study stopped'));
}
