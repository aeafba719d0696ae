// Makes the next experiment of a branch: ask the mutator for one change to the head, apply it, and
// queue `repeats` runs of the candidate. A change that cannot be applied is recorded as `invalid`.
import { randomUUID } from 'node:crypto';
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { applyEdits, EditError } from '../mutators/edits/apply-edits.js';
import type { Mutator } from '../mutators/mutator.js';
import { diffRevisions } from '../revisions/diff.js';
import type { Store } from '../store/store.js';
import type { BranchRow, ExperimentRow } from '../store/schema.js';

export type CreateResult = { created: ExperimentRow } | { exhausted: true };

export async function createNextExperiment(input: {
  store: Store;
  studyId: string;
  spec: StudySpec;
  branch: BranchRow;
  mutator: Mutator;
  history: ExperimentRow[];
}): Promise<CreateResult> {
  const { store, spec, branch, mutator } = input;
  const headFiles = await store.getRevisionFiles(branch.headRevisionId);
  const mutableText: Record<string, string> = {};
  for (const file of headFiles) {
    if (spec.workspace.mutable.includes(file.path)) mutableText[file.path] = file.content.toString('utf8');
  }
  const branchHistory = input.history.filter((e) => e.branchId === branch.id);
  const triedFromHead = new Set(
    branchHistory.filter((e) => e.parentRevisionId === branch.headRevisionId && e.changeKey !== null).map((e) => e.changeKey!),
  );
  const proposal = await mutator.propose({
    studyId: input.studyId,
    branchIndex: branch.index,
    head: { revisionId: branch.headRevisionId, score: branch.headScore, files: mutableText },
    triedFromHead,
    history: branchHistory.map((e) => ({
      number: e.number,
      outcome: e.outcome,
      hypothesis: e.hypothesis,
      variable: e.variable,
      description: e.description,
      changeKey: e.changeKey,
      score: e.score,
      parentRevisionId: e.parentRevisionId,
    })),
  });
  if (proposal === null) return { exhausted: true };

  const base = {
    id: randomUUID(),
    studyId: input.studyId,
    branchId: branch.id,
    parentRevisionId: branch.headRevisionId,
    hypothesis: proposal.hypothesis,
    variable: proposal.variable,
    description: proposal.description,
    changeKey: proposal.changeKey,
    repeats: spec.repeats,
  };
  let changed: Record<string, string>;
  try {
    changed = applyEdits(mutableText, proposal.edits, spec.workspace.mutable);
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    const created = await store.createExperiment({
      ...base, candidateRevisionId: null, diff: '', runIds: [], outcome: 'invalid', reason: error.message,
    });
    return { created };
  }
  const candidateFiles = headFiles.map((file) =>
    file.path in changed && changed[file.path] !== mutableText[file.path]
      ? { ...file, content: Buffer.from(changed[file.path]!, 'utf8') }
      : file,
  );
  const candidateRevisionId = await store.putRevision(candidateFiles);
  const created = await store.createExperiment({
    ...base,
    candidateRevisionId,
    diff: diffRevisions(mutableText, changed),
    runIds: Array.from({ length: spec.repeats }, () => randomUUID()),
  });
  return { created };
}
