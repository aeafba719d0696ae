// Adoption between branches (search.adoptEvery). Branches search independently, so one can sink into a
// poor region while another climbs. Every adoptEvery decided candidates a round begins: each branch, once
// its own candidates in flight are decided, is compared with the best branch, and adopts the best head if
// its own is worse by more than the noise (by the study's decision rule). The adoption is recorded as an
// experiment of kind adopt, so it shows in results.tsv and the changelog with its statistics.
import { randomUUID } from 'node:crypto';
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { decideKeepOrDiscard } from '../decisions/keep-or-discard.js';
import type { Spread } from '../decisions/statistics.js';
import { diffRevisions } from '../revisions/diff.js';
import type { BranchRow, ExperimentRow, StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isBetter } from './study-progress.js';

/** The adoption round a study is in: one more every adoptEvery decided candidates; 0 when adoption is off. */
export function adoptionRoundOf(spec: StudySpec, experiments: ExperimentRow[]): number {
  const every = spec.search.adoptEvery;
  if (every === undefined) return 0;
  const decided = experiments.filter((e) => e.kind === 'candidate' && e.status === 'decided' && e.outcome !== 'invalid').length;
  return Math.floor(decided / every);
}

/** The branch with the best head; ties go to the lower index. */
export function bestBranch(branches: BranchRow[], spec: StudySpec): BranchRow | undefined {
  return branches
    .filter((b) => b.headExperimentId !== null && b.headScore !== null && b.headValues.length > 0)
    .reduce<BranchRow | undefined>((best, b) => (best === undefined || isBetter(b.headScore!, best.headScore!, spec.objective.direction) ? b : best), undefined);
}

/**
 * Compares every branch due in this round, once it has no candidate in flight, with the best branch.
 * Returns the adoption records made. `noiseFor` is the study's measured spread for comparisons against
 * a branch's head (null when that head is itself the measurement).
 */
export async function adoptBestHeads(
  store: Store,
  study: StudyRow,
  experiments: ExperimentRow[],
  noiseFor: (branch: BranchRow) => Promise<Spread | null>,
): Promise<ExperimentRow[]> {
  const round = adoptionRoundOf(study.spec, experiments);
  if (round === 0) return [];
  const branches = await store.listBranches(study.id);
  const due = branches.filter((b) => b.adoptionRound < round);
  const best = bestBranch(branches, study.spec);
  if (due.length === 0 || !best) return [];
  const adopted: ExperimentRow[] = [];
  for (const branch of due) {
    if (experiments.some((e) => e.branchId === branch.id && e.status === 'pending' && e.kind === 'candidate')) continue;
    if (branch.id === best.id || branch.headRevisionId === best.headRevisionId || branch.headValues.length === 0) {
      await store.markAdoptionRound(branch.id, round);
      continue;
    }
    const [branchNoise, bestNoise] = await Promise.all([noiseFor(branch), noiseFor(best)]);
    const { keep, stats } = decideKeepOrDiscard({
      rule: study.spec.decision.rule,
      direction: study.spec.objective.direction,
      confidence: study.spec.decision.confidence,
      minEffect: study.spec.decision.minEffect,
      headValues: branch.headValues,
      candidateValues: best.headValues,
      noise: branchNoise !== null && bestNoise !== null ? branchNoise : null,
    });
    if (!keep) {
      if (await store.markAdoptionRound(branch.id, round)) {
        await store.appendEvent(study.id, 'branch.compared', { branchId: branch.id, round, bestBranchId: best.id, summary: stats.summary });
      }
      continue;
    }
    const record = await store.adoptHead({
      branchId: branch.id,
      round,
      fromHeadRevisionId: branch.headRevisionId,
      head: { revisionId: best.headRevisionId, experimentId: best.headExperimentId!, score: best.headScore, values: best.headValues, stageValues: best.headStageValues },
      record: await adoptionRecord(store, study, experiments, branch, best, stats),
    });
    if (record) adopted.push(record);
  }
  return adopted;
}

async function adoptionRecord(
  store: Store,
  study: StudyRow,
  experiments: ExperimentRow[],
  branch: BranchRow,
  best: BranchRow,
  stats: ReturnType<typeof decideKeepOrDiscard>['stats'],
) {
  const mutable = study.spec.workspace.mutable;
  const textOf = async (revisionId: string) =>
    Object.fromEntries(
      (await store.getRevisionFiles(revisionId)).filter((f) => mutable.includes(f.path)).map((f) => [f.path, f.content.toString('utf8')]),
    );
  const [from, to] = await Promise.all([textOf(branch.headRevisionId), textOf(best.headRevisionId)]);
  const bestHead = experiments.find((e) => e.id === best.headExperimentId);
  const source = `branch ${best.index}'s head${bestHead ? ` (#${bestHead.number})` : ''}`;
  return {
    id: randomUUID(),
    studyId: study.id,
    branchId: branch.id,
    parentRevisionId: branch.headRevisionId,
    candidateRevisionId: best.headRevisionId,
    hypothesis: `Branch ${branch.index} has fallen behind ${source} by more than the noise: it continues from there.`,
    variable: null,
    description: `branch ${branch.index} adopts ${source}`,
    changeKey: null,
    diff: diffRevisions(from, to),
    reason: `${source} is better than this branch's head: ${stats.summary.replace(' → keep: ', ' → adopt: ')}`,
    score: best.headScore,
    stats,
  };
}
