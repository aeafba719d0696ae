// Adaptive repeats: a candidate that looks better than its head, but not yet beyond the noise, is run
// again before it is decided, instead of being discarded on too little data. Each extension doubles its
// runs, up to decision.maxRepeats, and runs the head again beside it so both sides of the comparison grow:
// more candidate runs alone cannot bring the threshold below t·σ/√n_head. A candidate that is worse, equal,
// or better by less than minEffect is decided at once; but when its discard is within the noise, the same
// change may come back later from the same head (retryable), and its runs then count again. Pure.
import type { DecisionSpec, StudySpec } from '../../../../schemas/src/study-spec.js';
import type { DecisionStats } from '../store/schema.js';

/** Whether runs are pooled across a change's tries and the head's reference runs: training studies with adaptive repeats. */
export function poolsEvidence(spec: StudySpec): boolean {
  return spec.flavor !== 'skill' && spec.decision.rule === 'noise-aware' && spec.decision.maxRepeats !== undefined;
}

/** How many more runs the candidate gets before its decision: 0 to decide it now. */
export function extraRunsFor(decision: DecisionSpec, runsSoFar: number, kept: boolean, stats: DecisionStats | null): number {
  const cap = decision.maxRepeats;
  if (cap === undefined || decision.rule !== 'noise-aware' || kept || stats === null) return 0;
  if (stats.delta === null || !(stats.delta > decision.minEffect)) return 0;
  return Math.max(0, Math.min(runsSoFar, cap - runsSoFar));
}

/**
 * Runs of the head to queue beside a candidate's extension: enough to bring the head's runs up to the
 * candidate's once extended, never past maxRepeats. Equal runs on both sides make the comparison's error
 * smallest for the runs spent, and the head's extra runs serve every later candidate from it too.
 */
export function headRunsFor(decision: DecisionSpec, headRuns: number, candidateRunsAfter: number): number {
  const cap = decision.maxRepeats;
  if (cap === undefined || decision.rule !== 'noise-aware') return 0;
  return Math.max(0, Math.min(candidateRunsAfter, cap) - headRuns);
}

/**
 * Whether a discard leaves its change worth trying again from the same head: only under the noise-aware
 * rule with adaptive repeats (maxRepeats), only when the candidate was not worse beyond the noise (its Δ
 * above −threshold), and only while its runs, pooled over its tries, are below maxRepeats. One unlucky run
 * must not lose a real improvement for good; a change shown worse, or measured to the cap, is done.
 */
export function isRetryableDiscard(decision: DecisionSpec, outcome: string | null, stats: DecisionStats | null): boolean {
  const cap = decision.maxRepeats;
  if (cap === undefined || decision.rule !== 'noise-aware' || outcome !== 'discard' || stats === null) return false;
  if (stats.rule !== 'noise-aware' || stats.delta === null || stats.threshold === null) return false;
  return stats.delta >= -stats.threshold && stats.nCandidate < cap;
}

/** Runs a retried change gets: as many as it has had, so its pooled runs double as under adaptive repeats. */
export function retryRunsFor(decision: DecisionSpec, pooledRuns: number): number {
  const cap = decision.maxRepeats ?? pooledRuns;
  return Math.max(1, Math.min(pooledRuns, cap - pooledRuns));
}
