// Adaptive repeats: a candidate that looks better than its head, but not yet beyond the noise, is run
// again before it is decided, instead of being discarded on too little data. Each extension doubles its
// runs, up to decision.maxRepeats. A candidate that is worse, equal, or better by less than minEffect is
// decided at once: more runs could not make it worth keeping. Pure.
import type { DecisionSpec } from '../../../../schemas/src/study-spec.js';
import type { DecisionStats } from '../store/schema.js';

/** How many more runs the candidate gets before its decision: 0 to decide it now. */
export function extraRunsFor(decision: DecisionSpec, runsSoFar: number, kept: boolean, stats: DecisionStats | null): number {
  const cap = decision.maxRepeats;
  if (cap === undefined || decision.rule !== 'noise-aware' || kept || stats === null) return 0;
  if (stats.delta === null || !(stats.delta > decision.minEffect)) return 0;
  return Math.max(0, Math.min(runsSoFar, cap - runsSoFar));
}
