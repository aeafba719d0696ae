// Creating and resuming studies. Creation validates everything first, so a bad spec writes nothing.
import { randomUUID } from 'node:crypto';
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import type { WorkspaceFile } from '../revisions/workspace-snapshot.js';
import { measurementRunStages } from '../spec/stages.js';
import type { StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';

/**
 * The baseline is run enough times to measure the run-to-run spread the noise-aware rule needs. A skill
 * study's noise is the binomial variance of its pass rate, so its baseline runs like any experiment.
 */
export function baselineRepeatsOf(spec: StudySpec): number {
  if (spec.flavor === 'skill') return spec.baselineRepeats ?? spec.repeats;
  return spec.baselineRepeats ?? Math.max(spec.repeats, 3);
}

/** Runs on the holdout inputs, at the baseline and once more at the end (skill studies with holdout inputs). */
export function holdoutRunsOf(spec: StudySpec): number {
  if (spec.flavor !== 'skill' || !spec.skill || spec.skill.inputs.holdout.length === 0) return 0;
  return spec.skill.holdoutRuns ?? spec.repeats;
}

export async function createStudy(
  store: Store,
  input: {
    spec: StudySpec;
    specHash: string;
    files: WorkspaceFile[];
    sourceDir: string | null;
    stopOverrides?: Record<string, unknown>;
    /** The owning team (the embedded mode's `local` team when absent), who submitted it, and its weight in the queue. */
    teamId?: string;
    owner?: string | null;
    priority?: number;
  },
): Promise<StudyRow> {
  const revisionId = await store.putRevision(input.files);
  const study = await store.createStudy({
    id: randomUUID(),
    name: input.spec.name,
    flavor: input.spec.flavor,
    spec: input.spec,
    specHash: input.specHash,
    sourceDir: input.sourceDir,
    stopOverrides: input.stopOverrides ?? {},
    teamId: input.teamId,
    owner: input.owner ?? null,
    priority: input.priority ?? 1,
  });
  for (let index = 0; index < input.spec.search.branches; index += 1) {
    await store.createBranch({ id: randomUUID(), studyId: study.id, index, headRevisionId: revisionId });
  }
  await store.appendEvent(study.id, 'study.created', { name: study.name, revisionId });
  await ensureBaseline(store, study);
  return study;
}

/** Experiment #0 runs the unmodified workspace. Also repairs a study whose creation was cut short. */
export async function ensureBaseline(store: Store, study: StudyRow): Promise<void> {
  if ((await store.countExperiments(study.id)) > 0) return;
  const [branch] = await store.listBranches(study.id);
  if (!branch) throw new Error(`study ${study.id} has no branch`);
  // With stages, the baseline runs every stage, so that candidates are held against it like for like.
  const runStages = measurementRunStages(study.spec, baselineRepeatsOf(study.spec));
  await store.createExperiment({
    id: randomUUID(),
    studyId: study.id,
    branchId: branch.id,
    parentRevisionId: branch.headRevisionId,
    candidateRevisionId: branch.headRevisionId,
    kind: 'baseline',
    hypothesis: 'Measure the unmodified workspace and its run-to-run noise.',
    variable: null,
    description: 'baseline',
    changeKey: null,
    diff: '',
    repeats: runStages.length,
    runIds: runStages.map(() => randomUUID()),
    runStages,
    holdoutRunIds: Array.from({ length: holdoutRunsOf(study.spec) }, () => randomUUID()),
  });
}

/**
 * Picks a study up where it was: runs that were cut off (by a stop, a Ctrl-C or a dead controller) are
 * queued again as a new attempt. Decided experiments are never touched, so nothing recorded runs twice.
 */
export async function resumeStudy(store: Store, study: StudyRow, stopOverrides?: Record<string, unknown>): Promise<StudyRow> {
  await ensureBaseline(store, study);
  const requeued = await store.requeueUnfinishedRuns(study.id);
  await store.updateStudy(study.id, {
    status: 'running',
    stopReason: null,
    finalStatus: null,
    stoppedAt: null,
    ...(stopOverrides ? { stopOverrides } : {}),
  });
  await store.appendEvent(study.id, 'study.resumed', { requeuedRuns: requeued });
  return (await store.getStudy(study.id)) ?? study;
}
