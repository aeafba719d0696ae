// Child loggers bound to what a line is about. Every line about a run carries its studyId, experimentId,
// runId and attempt, and every line about an experiment its studyId and experimentId, so one search by
// any of those ids finds all the controller said about it (`jq 'select(.studyId == "…")' controller.log`).
import type { Logger } from 'pino';

export interface RunIdentity {
  id: string;
  studyId: string;
  experimentId: string;
  attempt: number;
}

export function runLogger(log: Logger, run: RunIdentity): Logger {
  return log.child({ studyId: run.studyId, experimentId: run.experimentId, runId: run.id, attempt: run.attempt });
}

export function experimentLogger(log: Logger, experiment: { id: string; studyId: string; number: number }): Logger {
  return log.child({ studyId: experiment.studyId, experimentId: experiment.id, experimentNumber: experiment.number });
}

export function studyLogger(log: Logger, studyId: string): Logger {
  return log.child({ studyId });
}
