// When a study stops, and why, in words a person reads in the changelog. Pure: the caller supplies the
// counts and the clock.
import type { Direction, StopConditionsSpec } from '../../../../schemas/src/study-spec.js';

export type StopCondition = 'user' | 'target' | 'ceiling' | 'max-experiments' | 'deadline' | 'max-minutes' | 'plateau' | 'max-cost';

export type StopVerdict = { stop: false } | { stop: true; condition: StopCondition; reason: string };

export interface StopConditionsInput {
  stop: StopConditionsSpec;
  objective: { metric: string; direction: Direction; target?: number };
  /** Experiments with a decision, the baseline included. */
  decidedExperiments: number;
  /** The best score of any branch head, null before the baseline is decided. */
  bestScore: number | null;
  startedAt: Date;
  now: Date;
  experimentsSinceLastKeep: number;
  userRequested: boolean;
  /** What the mutator's model has cost the study so far, in USD. */
  modelCostUsd?: number;
  /**
   * The scores of the decided experiments that ran, in number order (null for one that crashed): the
   * ceiling counts the newest in a row that reach it. Invalid proposals never ran and are left out.
   */
  decidedScores?: { number: number; score: number | null }[];
}

/** The first condition met, in order of how directly it answers "why did it stop?". */
export function evaluateStopConditions(input: StopConditionsInput): StopVerdict {
  const { stop, objective } = input;
  if (input.userRequested) return stopped('user', 'stopped by the user');

  if (stop.maxCostUsd !== undefined && (input.modelCostUsd ?? 0) >= stop.maxCostUsd) {
    return stopped('max-cost', `the model has cost $${(input.modelCostUsd ?? 0).toFixed(4)}, reaching max-cost-usd $${stop.maxCostUsd}`);
  }

  if (objective.target !== undefined && input.bestScore !== null && reachedTarget(objective.direction, input.bestScore, objective.target)) {
    const comparator = objective.direction === 'minimize' ? '≤' : '≥';
    return stopped('target', `target ${objective.metric} ${comparator} ${objective.target} reached: best ${formatScore(input.bestScore)}`);
  }

  if (stop.ceiling !== undefined) {
    const streak = ceilingStreak(input.decidedScores ?? [], objective.direction, stop.ceiling.value);
    if (streak.length >= stop.ceiling.consecutive) {
      const comparator = objective.direction === 'minimize' ? '≤' : '≥';
      const shown = (score: number) => (objective.metric === 'pass_rate' ? `${Number((score * 100).toFixed(1))}%` : formatScore(score));
      const last = streak.slice(-stop.ceiling.consecutive);
      return stopped(
        'ceiling',
        `${objective.metric} ${comparator} ${shown(stop.ceiling.value)} for ${stop.ceiling.consecutive} experiments in a row (${last.map((e) => `#${e.number} ${shown(e.score!)}`).join(', ')})`,
      );
    }
  }

  if (stop.maxExperiments !== undefined && input.decidedExperiments >= stop.maxExperiments) {
    return stopped(
      'max-experiments',
      `${input.decidedExperiments} experiments decided, the baseline included (max-experiments ${stop.maxExperiments})`,
    );
  }

  if (stop.deadline !== undefined) {
    const deadline = Date.parse(stop.deadline);
    if (Number.isNaN(deadline)) throw new RangeError(`stop.deadline "${stop.deadline}" is not an RFC 3339 time`);
    if (input.now.getTime() >= deadline) return stopped('deadline', `deadline ${stop.deadline} passed`);
  }

  if (stop.maxMinutes !== undefined) {
    const minutes = (input.now.getTime() - input.startedAt.getTime()) / 60_000;
    if (minutes >= stop.maxMinutes) {
      return stopped('max-minutes', `ran for ${formatMinutes(minutes)} minutes (max-minutes ${stop.maxMinutes})`);
    }
  }

  if (stop.plateau !== undefined && input.experimentsSinceLastKeep >= stop.plateau) {
    return stopped('plateau', `${input.experimentsSinceLastKeep} experiments in a row without a keep (plateau ${stop.plateau})`);
  }

  return { stop: false };
}

/**
 * Whether the scheduler may create one more experiment. max-experiments counts created experiments (the
 * baseline included), not decided ones, so experiments in flight never overshoot the cap.
 */
export function mayStartAnotherExperiment(stop: StopConditionsSpec, createdExperiments: number): boolean {
  return stop.maxExperiments === undefined || createdExperiments < stop.maxExperiments;
}

/** The newest decided experiments in a row whose scores reach the ceiling, oldest first. */
function ceilingStreak(scores: { number: number; score: number | null }[], direction: Direction, ceiling: number): { number: number; score: number | null }[] {
  const sorted = [...scores].sort((a, b) => a.number - b.number);
  let start = sorted.length;
  while (start > 0 && sorted[start - 1]!.score !== null && reachedTarget(direction, sorted[start - 1]!.score!, ceiling)) start -= 1;
  return sorted.slice(start);
}

function reachedTarget(direction: Direction, bestScore: number, target: number): boolean {
  return direction === 'minimize' ? bestScore <= target : bestScore >= target;
}

function stopped(condition: StopCondition, reason: string): StopVerdict {
  return { stop: true, condition, reason };
}

function formatScore(score: number): string {
  return String(Number(score.toPrecision(6)));
}

function formatMinutes(minutes: number): string {
  return String(Number(minutes.toFixed(1)));
}
