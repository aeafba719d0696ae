// When a branch's head moves (a keep), proposals made ahead against the old head have not run yet: each
// is re-applied to the new head if its edits still apply cleanly and it was not already tried from there,
// and otherwise dropped and recorded as invalid with the reason. Either way no run starts on a stale head.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { applyEdits, EditError } from '../mutators/edits/apply-edits.js';
import { normalizedDiffHash } from '../mutators/llm/validate-proposal.js';
import { diffRevisions } from '../revisions/diff.js';
import type { ExperimentRow, RunRow, StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';

export interface ReapplyOutcome {
  reapplied: number[];
  dropped: { number: number; reason: string }[];
}

export async function reapplyProposalsMadeAhead(
  store: Store,
  input: { studyId: string; spec: StudySpec; branchId: string; headRevisionId: string },
): Promise<ReapplyOutcome> {
  const outcome: ReapplyOutcome = { reapplied: [], dropped: [] };
  const branchExperiments = await store.listExperiments(input.studyId, { limit: 1_000_000, branchId: input.branchId });
  const stale = branchExperiments.filter((e) => e.status === 'pending' && e.parentRevisionId !== input.headRevisionId && e.edits && e.number > 0);
  if (stale.length === 0) return outcome;

  const headFiles = await store.getRevisionFiles(input.headRevisionId);
  const mutableText: Record<string, string> = {};
  for (const file of headFiles) if (input.spec.workspace.mutable.includes(file.path)) mutableText[file.path] = file.content.toString('utf8');
  const triedFromHead = new Set(
    branchExperiments.filter((e) => e.parentRevisionId === input.headRevisionId && e.changeKey !== null).map((e) => e.changeKey!),
  );

  for (const experiment of stale) {
    const drop = async (why: string) => {
      const reason = `dropped: proposed against an earlier head, and ${why}`;
      if (await store.dropExperiment(experiment.id, reason)) outcome.dropped.push({ number: experiment.number, reason });
    };
    let changed: Record<string, string>;
    try {
      changed = applyEdits(mutableText, experiment.edits!, input.spec.workspace.mutable);
    } catch (error) {
      if (!(error instanceof EditError)) throw error;
      await drop(`its edits no longer apply to the new head (${error.message})`);
      continue;
    }
    const diff = diffRevisions(mutableText, changed);
    const changeKey = normalizedDiffHash(diff);
    if (triedFromHead.has(changeKey)) {
      await drop('the same change was already tried from the new head');
      continue;
    }
    const candidateFiles = headFiles.map((file) =>
      file.path in changed && changed[file.path] !== mutableText[file.path] ? { ...file, content: Buffer.from(changed[file.path]!, 'utf8') } : file,
    );
    const candidateRevisionId = await store.putRevision(candidateFiles);
    const moved = await store.rebaseExperiment({
      experimentId: experiment.id,
      fromParentRevisionId: experiment.parentRevisionId,
      parentRevisionId: input.headRevisionId,
      candidateRevisionId,
      diff,
      changeKey,
    });
    if (moved) {
      triedFromHead.add(changeKey);
      outcome.reapplied.push(experiment.number);
    }
  }
  return outcome;
}

/**
 * Proposals made ahead that have not started, on a branch whose head has moved since they were made, are
 * re-applied to that head. A keep does this itself; this sweep finds the ones it could not see: made by
 * another replica in that same moment, or left by a controller that died between its keep and the re-apply.
 * `experiments` and `queuedRuns` are the study's, as the caller has just read them.
 */
export async function reapplyStaleProposals(
  store: Store,
  input: { study: StudyRow; experiments: ExperimentRow[]; queuedRuns: RunRow[] },
): Promise<Array<{ branchId: string; headRevisionId: string; outcome: ReapplyOutcome }>> {
  const waiting = new Set(input.queuedRuns.map((r) => r.experimentId));
  const madeAhead = input.experiments.filter((e) => e.status === 'pending' && e.edits && e.number > 0 && waiting.has(e.id));
  if (madeAhead.length === 0) return [];
  const results = [];
  for (const branch of await store.listBranches(input.study.id)) {
    if (!madeAhead.some((e) => e.branchId === branch.id && e.parentRevisionId !== branch.headRevisionId)) continue;
    const outcome = await reapplyProposalsMadeAhead(store, {
      studyId: input.study.id, spec: input.study.spec, branchId: branch.id, headRevisionId: branch.headRevisionId,
    });
    results.push({ branchId: branch.id, headRevisionId: branch.headRevisionId, outcome });
  }
  return results;
}
