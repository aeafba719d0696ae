// What a candidate is judged on under adaptive repeats (decision.maxRepeats): its own runs, plus the runs of
// its earlier tries of the same change from the same head (discarded within the noise, then proposed
// again), held against the head's values plus the head's reference runs (queued beside candidates'
// extensions). Runs of one revision are evidence about it whichever experiment ran them, so nothing a
// retry or an extension paid for is thrown away.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { randomUUID } from 'node:crypto';
import { headRunsFor, poolsEvidence } from '../decisions/adaptive-repeats.js';
import { lastStageIndex } from '../spec/stages.js';
import type { BranchRow, ExperimentRow, RunRow } from '../store/schema.js';
import type { Store } from '../store/store.js';

export interface PooledEvidence {
  /** The candidate's runs to decide on: its own (the head's reference runs left out) and its earlier tries'. */
  runs: RunRow[];
  /** The branch, its head's values extended with the head's reference runs. */
  branch: BranchRow;
  /** What was pooled, in words, for the decision's reason; null when nothing was. */
  note: string | null;
}

export async function pooledEvidenceFor(store: Store, spec: StudySpec, experiment: ExperimentRow, branch: BranchRow, ownRuns: RunRow[]): Promise<PooledEvidence> {
  const own = ownRuns.filter((r) => r.role !== 'reference');
  if (!poolsEvidence(spec) || experiment.kind !== 'candidate' || experiment.changeKey === null || !experiment.candidateRevisionId) {
    return { runs: own, branch, note: null };
  }
  const stage = lastStageIndex(spec);
  const metric = spec.objective.metric;
  const valueOf = (run: RunRow) => run.metrics?.[metric];
  const reference = (await store.listReferenceRuns({ studyId: experiment.studyId, revisionId: branch.headRevisionId, stage }))
    .map(valueOf)
    .filter((v): v is number => typeof v === 'number');
  const earlier = (await store.listEarlierTries({
    branchId: experiment.branchId,
    parentRevisionId: experiment.parentRevisionId,
    candidateRevisionId: experiment.candidateRevisionId,
    beforeNumber: experiment.number,
    stage,
  })).filter(({ run }) => typeof valueOf(run) === 'number');
  const parts: string[] = [];
  if (earlier.length > 0) {
    const numbers = [...new Set(earlier.map((e) => `#${e.number}`))];
    parts.push(`${plural(earlier.length, 'run')} of its earlier ${numbers.length === 1 ? 'try' : 'tries'} ${numbers.join(', ')} (the same change from this head)`);
  }
  if (reference.length > 0) parts.push(`${plural(reference.length, 'reference run')} of the head`);
  return {
    runs: [...earlier.map((e) => e.run), ...own],
    branch: reference.length > 0 ? { ...branch, headValues: [...branch.headValues, ...reference] } : branch,
    note: parts.length > 0 ? `pooled with ${parts.join(' and ')}` : null,
  };
}

/**
 * Queues runs of the head beside a candidate's new runs (an extension, or a retry), so that both sides of the
 * comparison grow: up to the candidate's runs once they have run, never past maxRepeats (headRunsFor). Once,
 * whichever controller gets there first. Returns how many were queued.
 */
export async function queueHeadRuns(
  store: Store,
  spec: StudySpec,
  experiment: ExperimentRow,
  branch: BranchRow,
  runs: { head: number; candidateAfter: number; referenceSoFar: number },
): Promise<number> {
  const count = headRunsFor(spec.decision, runs.head, runs.candidateAfter);
  return store.addRuns({
    experimentId: experiment.id,
    runIds: Array.from({ length: count }, () => randomUUID()),
    role: 'reference',
    revisionId: branch.headRevisionId,
    whenCount: runs.referenceSoFar,
    stage: experiment.stageReached,
  });
}

/** The head's runs the comparison holds a candidate against: its own values and its reference runs so far. */
export async function headRunCount(store: Store, spec: StudySpec, studyId: string, branch: BranchRow): Promise<number> {
  const reference = await store.listReferenceRuns({ studyId, revisionId: branch.headRevisionId, stage: lastStageIndex(spec) });
  return branch.headValues.length + reference.filter((r) => typeof r.metrics?.[spec.objective.metric] === 'number').length;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
