// Turns the finished runs of one experiment into its outcome. This is the one place where run failures
// (and failed guards) become experiment outcomes; the keep/discard rule itself lives in
// decisions/keep-or-discard.ts, the guards' checks in decisions/guard-checks.ts.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { extraRunsFor } from '../decisions/adaptive-repeats.js';
import { describeGuardFailure, evaluateGuards, type GuardedRun } from '../decisions/guard-checks.js';
import { decideKeepOrDiscard } from '../decisions/keep-or-discard.js';
import { mean, sampleStandardDeviation } from '../decisions/statistics.js';
import type { BranchRow, DecisionStats, ExperimentOutcome, ExperimentRow, RunRow, StageValues, StageVerdict } from '../store/schema.js';
import { decideSkillExperiment } from './decide-skill-experiment.js';
import { isEarlyStopped } from './early-stopping.js';

export const TERMINAL_RUN_STATUSES = new Set(['succeeded', 'crashed', 'timeout', 'lost']);

/** Ended for good: a stopped run is not (it runs again when its study resumes), unless it was early-stopped. */
export function hasEnded(run: { status: string; reason?: string | null }): boolean {
  return TERMINAL_RUN_STATUSES.has(run.status) || isEarlyStopped(run);
}

export interface ExperimentDecision {
  outcome: ExperimentOutcome;
  reason: string;
  score: number | null;
  peakMemoryMb: number | null;
  stats: DecisionStats | null;
  /** Set when the candidate becomes the branch head (a keep, or the baseline). */
  newHeadValues: number[] | null;
  /** Set for the baseline: the run-to-run spread the noise-aware rule compares against. */
  noise: { sigma: number; degreesOfFreedom: number } | null;
  /**
   * More runs the candidate gets before it is decided (adaptive repeats); 0 to decide it now. When set,
   * the rest of this decision is only what the runs so far show, and is not recorded.
   */
  extend?: number;
  /**
   * Fresh runs the candidate gets before it is kept (decision.confirmRuns): it passed the rule on its first
   * runs, and the branch builds on it only once all its runs together still pass. When set, the rest of this
   * decision is what the first runs show, and is not recorded.
   */
  confirm?: number;
  /**
   * Screen, then promote (spec.stages): promising at a stage before the last, the candidate runs the next
   * stage before it is decided. When set, the rest of this decision is not recorded.
   */
  promote?: { toStage: number; verdict: StageVerdict };
  /** Screened out at a stage before the last: that stage's verdict, recorded with the decision. */
  stageVerdict?: StageVerdict;
  /** With stages, set with newHeadValues: the new head's values at every stage. */
  newHeadStageValues?: StageValues;
}

export interface DecisionInput {
  spec: StudySpec;
  experiment: ExperimentRow;
  runs: RunRow[];
  branch: BranchRow;
  noise: { sigma: number; degreesOfFreedom: number } | null;
}

/** Memory of a run: the script's own peak_vram_mb when it prints one (autoresearch), else what the agent saw. */
export function runMemoryMb(run: RunRow): number | null {
  const reported = run.metrics?.peak_vram_mb;
  return typeof reported === 'number' && Number.isFinite(reported) ? reported : run.peakMemoryMb;
}

/** What the guards look at in a succeeded run. */
export function guardedRun(run: RunRow): GuardedRun {
  const seconds = run.startedAt && run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null;
  return { run: run.repeatIndex + 1, guards: run.guards, memoryMb: runMemoryMb(run), seconds };
}

export function decideExperiment(input: DecisionInput): ExperimentDecision {
  if (input.spec.flavor === 'skill') return decideSkillExperiment(input);
  const { spec, experiment, runs } = input;
  const metric = spec.objective.metric;
  const peakMemoryMb = peakMemoryOf(runs);
  const failedRuns = decideFailedRuns(runs);
  if (failedRuns) return failedRuns;

  const valuesOf = (of: RunRow[]) => of.map((r) => r.metrics?.[metric]).filter((v): v is number => typeof v === 'number');
  const values = valuesOf(runs);
  const score = mean(values);
  const guards = spec.guards?.length ? evaluateGuards(spec.guards, runs.map(guardedRun)) : undefined;
  const guardFailure = guards ? describeGuardFailure(guards) : null;
  const withGuards = (stats: DecisionStats): DecisionStats => (guards ? { ...stats, guards } : stats);
  /** A run that failed a guard makes the experiment guard-failed, whatever its metric says; the head does not move. */
  const guardFailed = (stats: DecisionStats, metricSays: string): ExperimentDecision => ({
    outcome: 'guard-failed', reason: `${guardFailure}; ${metricSays}`, score, peakMemoryMb, stats: withGuards(stats), newHeadValues: null, noise: null,
  });
  if (experiment.number === 0 || experiment.kind === 'remeasure' || experiment.changeKey === null) {
    // The baseline, or the best head run again unchanged: either way a measurement of the noise, whose
    // values become the head's.
    const remeasure = experiment.kind === 'remeasure';
    const sigma = values.length >= 2 ? sampleStandardDeviation(values) : null;
    const noise = sigma === null ? null : { sigma, degreesOfFreedom: values.length - 1 };
    const measured = `${metric}=${score.toFixed(6)} over ${values.length} run${values.length === 1 ? '' : 's'}` +
      (sigma === null ? '; noise unknown (one run)' : `; run-to-run σ=${sigma.toPrecision(3)}`);
    const summary = remeasure
      ? `noise re-measured on the head: ${measured}${input.branch.headScore === null ? '' : ` (its runs so far averaged ${input.branch.headScore.toFixed(6)})`}`
      : `baseline ${measured}`;
    const stats: DecisionStats = {
      rule: 'baseline', delta: null, sigma, threshold: null, nCandidate: values.length, nHead: 0,
      candidateMean: score, headMean: remeasure ? input.branch.headScore : null, pValue: null, summary,
    };
    // A baseline that fails a guard stops the study (the scheduler treats any other outcome of #0 so).
    if (guardFailure !== null) return guardFailed(stats, `measured: ${summary}`);
    // A keep decided meanwhile moved the head past the revision measured: its noise still counts, but the
    // branch keeps its new head.
    const stillHead = !remeasure || input.branch.headRevisionId === experiment.candidateRevisionId;
    return { outcome: remeasure ? 'remeasure' : 'baseline', reason: summary, score, peakMemoryMb, stats: withGuards(stats), newHeadValues: stillHead ? values : null, noise };
  }

  const compare = (candidateValues: number[]) => decideKeepOrDiscard({
    rule: spec.decision.rule,
    direction: spec.objective.direction,
    confidence: spec.decision.confidence,
    minEffect: spec.decision.minEffect,
    headValues: input.branch.headValues,
    candidateValues,
    noise: input.noise,
  });
  const firstValues = valuesOf(runs.filter((r) => r.role !== 'confirm'));
  const freshValues = valuesOf(runs.filter((r) => r.role === 'confirm'));
  const first = compare(firstValues);
  if (guardFailure !== null) {
    const all = freshValues.length > 0 ? compare(values) : first;
    return guardFailed(all.stats, `the metric alone would have ${all.keep ? 'kept' : 'discarded'} it: ${all.stats.summary}`);
  }
  const firstDecision: ExperimentDecision = {
    outcome: first.keep ? 'keep' : 'discard',
    reason: first.stats.summary,
    score: mean(firstValues),
    peakMemoryMb,
    stats: withGuards(first.stats),
    newHeadValues: first.keep ? firstValues : null,
    noise: null,
  };
  if (!first.keep) return { ...firstDecision, extend: freshValues.length > 0 ? 0 : extraRunsFor(spec.decision, firstValues.length, false, first.stats) };
  const confirmRuns = spec.decision.confirmRuns;
  if (confirmRuns === undefined) return firstDecision;
  if (freshValues.length === 0) return { ...firstDecision, confirm: confirmRuns };
  const confirmed = confirmOrRevert(compare(values), first.stats, { score, values, freshValues, peakMemoryMb });
  return { ...confirmed, stats: confirmed.stats && withGuards(confirmed.stats) };
}

/** The highest memory any of the runs used, or null when none was measured. */
export function peakMemoryOf(runs: RunRow[]): number | null {
  const memories = runs.map(runMemoryMb).filter((m): m is number => m !== null);
  return memories.length > 0 ? Math.max(...memories) : null;
}

/** The outcome of runs that did not all succeed (early-stopped, timeout or crash); null when they all did. */
export function decideFailedRuns(runs: RunRow[]): ExperimentDecision | null {
  const peakMemoryMb = peakMemoryOf(runs);
  const earlyStopped = runs.find(isEarlyStopped);
  if (earlyStopped) {
    const reason = `run ${earlyStopped.repeatIndex + 1} ${earlyStopped.reason}`;
    return { outcome: 'early-stopped', reason, score: null, peakMemoryMb, stats: null, newHeadValues: null, noise: null };
  }
  const failed = runs.filter((r) => r.status !== 'succeeded');
  if (failed.length === 0) return null;
  const first = failed[0]!;
  const outcome: ExperimentOutcome = failed.some((r) => r.status === 'timeout') ? 'timeout' : 'crash';
  const reason = `${failed.length} of ${runs.length} run${runs.length === 1 ? '' : 's'} failed; run ${first.repeatIndex + 1}: ${first.status}${first.reason ? ` (${first.reason})` : ''}`;
  return { outcome, reason, score: null, peakMemoryMb, stats: null, newHeadValues: null, noise: null };
}

/**
 * A candidate that passed on its first runs, judged again on all its runs, fresh ones included. The first
 * runs were chosen for looking good (the winner's curse), so their gain shrinks when it was luck; a real
 * gain holds, and with more runs the threshold it must clear only gets smaller.
 */
function confirmOrRevert(
  all: ReturnType<typeof decideKeepOrDiscard>,
  first: DecisionStats,
  measured: { score: number; values: number[]; freshValues: number[]; peakMemoryMb: number | null },
): ExperimentDecision {
  const fresh = measured.freshValues.length;
  const confirmation = { firstSummary: first.summary, firstMean: first.candidateMean ?? measured.score, freshRuns: fresh, freshMean: mean(measured.freshValues) };
  const stats: DecisionStats = { ...all.stats, confirmation };
  const runs = `${fresh} fresh run${fresh === 1 ? '' : 's'}`;
  const reason = all.keep
    ? `confirmed by ${runs} (their mean ${confirmation.freshMean.toPrecision(6)}): ${all.stats.summary}`
    : `the gain did not hold over ${runs} (their mean ${confirmation.freshMean.toPrecision(6)}), so the branch stays on its head: ` +
      `${all.stats.summary}; its first runs alone had passed: ${first.summary}`;
  return {
    outcome: all.keep ? 'keep' : 'reverted',
    reason,
    score: measured.score,
    peakMemoryMb: measured.peakMemoryMb,
    stats,
    newHeadValues: all.keep ? measured.values : null,
    noise: null,
  };
}
