// What the live panel shows, as plain data: built from the scheduler's events in `run`, or from the API in
// `status --watch`, and drawn by panel.ts. Timestamps are epoch milliseconds, whichever source they came from.
import type { Direction, StudySpec } from '../../../../schemas/src/study-spec.js';
import { isBetter } from '../../../controller/src/scheduler/study-progress.js';
import type { ExperimentRow, RunRow } from '../../../controller/src/store/schema.js';

export type ExperimentLine = Pick<ExperimentRow, 'number' | 'kind' | 'status' | 'outcome' | 'score' | 'description' | 'reason' | 'repeats'>;

export interface RunInFlight {
  runId: string;
  /** Null while the experiment's number is not known yet. */
  experimentNumber: number | null;
  repeatIndex: number;
  role: RunRow['role'];
  attempt: number;
  slot: string | null;
  /** Null until the agent says it has started. */
  startedAt: number | null;
}

export interface StudySnapshot {
  name: string;
  status: string;
  /** Why it stopped, is stopping, or is paused. */
  reason: string | null;
  spec: Pick<StudySpec, 'flavor' | 'objective'>;
  startedAt: number;
  stoppedAt: number | null;
  experiments: ExperimentLine[];
  runsInFlight: RunInFlight[];
  /** Slots of this controller, when known (`run`); a remote controller's are shared and not shown. */
  slots: number | null;
  /** Recent things worth a line (extensions, confirmations, stopping), oldest first. */
  notices: string[];
}

export interface ExperimentTally {
  decided: number;
  pending: number;
  bestScore: number | null;
  bestNumber: number | null;
  /** The best score after each decided experiment, from the first one with a score. */
  bestSeries: number[];
}

/**
 * The counts and the best as summarizeProgress has them (adoption records are not experiments, a
 * remeasure neither keeps nor misses, the best is the best keep or baseline), plus the running best.
 */
export function tallyExperiments(experiments: readonly ExperimentLine[], direction: Direction): ExperimentTally {
  const sorted = experiments.filter((e) => e.kind !== 'adopt').sort((a, b) => a.number - b.number);
  const tally: ExperimentTally = { decided: 0, pending: 0, bestScore: null, bestNumber: null, bestSeries: [] };
  for (const e of sorted) {
    if (e.status !== 'decided') {
      tally.pending += 1;
      continue;
    }
    tally.decided += 1;
    const counts = e.outcome === 'keep' || e.outcome === 'baseline';
    if (counts && e.score !== null && (tally.bestScore === null || isBetter(e.score, tally.bestScore, direction))) {
      tally.bestScore = e.score;
      tally.bestNumber = e.number;
    }
    if (tally.bestScore !== null) tally.bestSeries.push(tally.bestScore);
  }
  return tally;
}

/** A Date from the store or an ISO string from the API. */
export function toMillis(value: Date | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Just what the panel shows of an experiment, from a store row or an API item alike. */
export function experimentLineOf(e: ExperimentLine): ExperimentLine {
  return { number: e.number, kind: e.kind, status: e.status, outcome: e.outcome, score: e.score, description: e.description, reason: e.reason, repeats: e.repeats };
}

/** A study as the store or the API has it (the API's times are ISO strings). */
export interface StudyRecord {
  name: string;
  status: string;
  stopReason: string | null;
  pausedReason?: string | null;
  spec: StudySnapshot['spec'];
  startedAt: Date | string;
  stoppedAt: Date | string | null;
}

export function snapshotOf(study: StudyRecord, experiments: ExperimentLine[], live: Pick<StudySnapshot, 'runsInFlight' | 'slots' | 'notices'>): StudySnapshot {
  return {
    name: study.name,
    status: study.status,
    reason: study.status === 'paused' ? (study.pausedReason ?? null) : study.stopReason,
    spec: study.spec,
    startedAt: toMillis(study.startedAt) ?? 0,
    stoppedAt: toMillis(study.stoppedAt),
    experiments,
    ...live,
  };
}
