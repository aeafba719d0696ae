// A skill experiment's outcome. Its working runs each scored one output with every eval; a failed run (a
// model that kept erroring, a judge that never gave a valid verdict) scored nothing, so it counts as that
// many fails, never as a pass. Holdout runs are reported, never decided on.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { extraRunsFor } from '../decisions/adaptive-repeats.js';
import { decideByPassRate, percent } from '../decisions/pass-rate.js';
import type { DecisionStats, RunRow } from '../store/schema.js';
import type { DecisionInput, ExperimentDecision } from './decide-experiment.js';

/** Passes of one run's output, out of the study's evals: 0 for a run that did not succeed. */
export function runPasses(run: Pick<RunRow, 'status' | 'metrics'>, evals: number): number {
  if (run.status !== 'succeeded') return 0;
  const passes = run.metrics?.passes;
  return typeof passes === 'number' && Number.isFinite(passes) ? Math.min(evals, Math.max(0, Math.round(passes))) : 0;
}

export function evalCount(spec: StudySpec): number {
  return spec.skill?.evals.length ?? 0;
}

export function decideSkillExperiment(input: DecisionInput): ExperimentDecision {
  const { spec, experiment } = input;
  const evals = evalCount(spec);
  const runs = input.runs.filter((r) => r.role === 'working');
  const failed = runs.filter((r) => r.status !== 'succeeded');
  const failures = failed.length === 0
    ? ''
    : `; ${failed.length} of ${runs.length} runs failed and count as fails (run ${failed[0]!.repeatIndex + 1}: ${failed[0]!.status}${failed[0]!.reason ? `, ${failed[0]!.reason}` : ''})`;
  if (failed.length === runs.length) {
    const reason = `every run failed${failures.slice(failures.indexOf(' ('))}`;
    return { outcome: failed.some((r) => r.status === 'timeout') ? 'timeout' : 'crash', reason, score: null, peakMemoryMb: null, stats: null, newHeadValues: null, noise: null };
  }
  const values = runs.map((r) => runPasses(r, evals) / evals);
  const passes = runs.reduce((sum, r) => sum + runPasses(r, evals), 0);
  const trials = runs.length * evals;
  const score = passes / trials;

  if (experiment.number === 0 || experiment.changeKey === null) {
    const summary = `baseline pass rate ${passes}/${trials} (${percent(score)}) over ${runs.length} outputs × ${evals} evals${failures}`;
    const stats: DecisionStats = {
      rule: 'baseline', delta: null, sigma: null, threshold: null, nCandidate: trials, nHead: 0,
      candidateMean: score, headMean: null, pValue: null, summary,
    };
    return { outcome: 'baseline', reason: summary, score, peakMemoryMb: null, stats, newHeadValues: values, noise: null };
  }

  const headValues = input.branch.headValues;
  const head = { passes: Math.round(headValues.reduce((sum, v) => sum + v, 0) * evals), trials: headValues.length * evals };
  const { keep, stats } = decideByPassRate({
    rule: spec.decision.rule,
    confidence: spec.decision.confidence,
    minEffect: spec.decision.minEffect,
    head,
    candidate: { passes, trials },
  });
  const summary = `${stats.summary}${failures}`;
  return {
    outcome: keep ? 'keep' : 'discard',
    reason: summary,
    score,
    peakMemoryMb: null,
    stats: { ...stats, summary },
    newHeadValues: keep ? values : null,
    noise: null,
    extend: extraRunsFor(spec.decision, runs.length, keep, stats),
  };
}
