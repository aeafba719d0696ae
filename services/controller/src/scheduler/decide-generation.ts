// λ candidates per head (search.candidatesPerHead): the candidates a branch ran from one head are decided
// together, and only the best of those that passed the rule is kept (and confirmed, if the study asks). Two
// keeps from one head would otherwise each replace the head in turn, and the second would drop the first's
// change. Pure: the scheduler gathers the decisions and records what this returns.
import type { Direction } from '../../../../schemas/src/study-spec.js';
import type { ExperimentRow } from '../store/schema.js';
import type { ExperimentDecision } from './decide-experiment.js';
import { isBetter } from './study-progress.js';

export interface GenerationMember {
  experiment: ExperimentRow;
  decision: ExperimentDecision;
}

/** Passed the rule on its first runs: kept, waiting for its confirmation, confirmed or reverted. */
function passedFirst(decision: ExperimentDecision): boolean {
  return decision.outcome === 'keep' || decision.outcome === 'reverted';
}

/** The mean of its first runs: what the generation is ranked by, unchanged while a confirmation runs. */
function firstMean(decision: ExperimentDecision): number {
  return decision.stats?.confirmation?.firstMean ?? decision.stats?.candidateMean ?? decision.score ?? Number.NaN;
}

/**
 * The members' decisions once the generation is ranked: the best member that passed keeps its own
 * decision (a keep, a request for confirmation runs, or a revert); every other member that passed becomes
 * a discard that names the better one. Members come back in number order.
 */
export function rankGeneration(members: GenerationMember[], direction: Direction): GenerationMember[] {
  const sorted = [...members].sort((a, b) => a.experiment.number - b.experiment.number);
  const passed = sorted.filter((m) => passedFirst(m.decision));
  if (passed.length <= 1) return sorted;
  // Ties go to the lower number, the candidate proposed first.
  const winner = passed.reduce((best, m) => (isBetter(firstMean(m.decision), firstMean(best.decision), direction) ? m : best));
  return sorted.map((member) => {
    if (member === winner || !passedFirst(member.decision)) return member;
    const { decision } = member;
    const reason =
      `passed the rule, but #${winner.experiment.number} from the same head did better ` +
      `(${firstMean(decision).toPrecision(6)} against ${firstMean(winner.decision).toPrecision(6)}): ${decision.stats?.summary ?? decision.reason}`;
    return { experiment: member.experiment, decision: { ...decision, outcome: 'discard', reason, newHeadValues: null, confirm: undefined } };
  });
}
