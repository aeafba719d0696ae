// Makes the next experiment of a branch: ask the mutator for one change to the head, apply it, and
// queue `repeats` runs of the candidate (a retried change: as many as it has had). A change that cannot
// be applied is recorded as `invalid`.
import { randomUUID } from 'node:crypto';
import { GUARD_TIMEOUT_DEFAULT_SECONDS, type StudySpec } from '../../../../schemas/src/study-spec.js';
import { isRetryableDiscard, retryRunsFor } from '../decisions/adaptive-repeats.js';
import { describeGuard, failedCommandGuard } from '../decisions/guard-checks.js';
import { DuplicateChangeError, ExperimentCapError, GenerationFullError } from '../errors.js';
import { applyEdits, EditError } from '../mutators/edits/apply-edits.js';
import type { Mutator, RunEvidence } from '../mutators/mutator.js';
import { diffRevisions } from '../revisions/diff.js';
import { lastStageIndex, stageOf } from '../spec/stages.js';
import { headRunCount, queueHeadRuns } from './pooled-evidence.js';
import { startingStageFor } from './screen-skip.js';
import { gatherSkillEvidence } from './skill-evidence.js';
import type { Store } from '../store/store.js';
import type { BranchRow, ExperimentRow } from '../store/schema.js';

export type CreateResult = { created: ExperimentRow } | { exhausted: true } | { duplicate: true };

export async function createNextExperiment(input: {
  store: Store;
  studyId: string;
  spec: StudySpec;
  branch: BranchRow;
  mutator: Mutator;
  history: ExperimentRow[];
  /** The cap on experiments, enforced again where the number is taken, for several controllers. */
  maxExperiments?: number;
}): Promise<CreateResult> {
  const { store, spec, branch, mutator } = input;
  const headFiles = await store.getRevisionFiles(branch.headRevisionId);
  const mutableText: Record<string, string> = {};
  for (const file of headFiles) {
    if (spec.workspace.mutable.includes(file.path)) mutableText[file.path] = file.content.toString('utf8');
  }
  const branchHistory = input.history.filter((e) => e.branchId === branch.id);
  const { tried: triedFromHead, retryable } = changesTriedFromHead(spec, branchHistory, branch.headRevisionId);
  const instructionsPath = spec.workspace.instructions;
  const instructions = instructionsPath ? headFiles.find((f) => f.path === instructionsPath)?.content.toString('utf8') ?? null : null;
  const proposal = await mutator.propose({
    studyId: input.studyId,
    flavor: spec.flavor,
    ...(spec.flavor === 'skill' && spec.skill && { skill: await gatherSkillEvidence(store, input.studyId, spec.skill, branch) }),
    branchIndex: branch.index,
    head: { revisionId: branch.headRevisionId, score: branch.headScore, files: mutableText },
    triedFromHead,
    retryFromHead: new Map([...retryable].map(([key, tries]) => [key, tries.pValue])),
    objective: { metric: spec.objective.metric, direction: spec.objective.direction },
    mutablePaths: spec.workspace.mutable,
    instructions,
    ...(spec.guards && spec.guards.length > 0 && { guards: spec.guards.map((guard) => describeGuard(guard, GUARD_TIMEOUT_DEFAULT_SECONDS)) }),
    evidence: mutator.wantsEvidence && spec.flavor !== 'skill' ? await gatherEvidence(store, branchHistory) : [],
    history: branchHistory.map((e) => ({
      number: e.number,
      outcome: e.outcome,
      hypothesis: e.hypothesis,
      variable: e.variable,
      description: e.description,
      changeKey: e.changeKey,
      score: e.score,
      parentRevisionId: e.parentRevisionId,
      reason: e.reason,
    })),
  });
  if (proposal === null) return { exhausted: true };
  // A change retried from this head doubles its runs, pooled with its earlier tries' (pooled-evidence.ts),
  // at the last stage, where it was discarded.
  const pooledRuns = proposal.invalid === undefined ? retryable.get(proposal.changeKey)?.runs : undefined;
  // A new candidate starts at the first stage, or past a screen that has not predicted the next (screen-skip.ts).
  const start = pooledRuns === undefined && proposal.invalid === undefined ? await startingStageFor(store, spec, input.studyId, input.history) : { stage: 0 };
  const runStages = pooledRuns === undefined
    ? Array.from({ length: stageOf(spec, start.stage).repeats }, () => start.stage)
    : Array.from({ length: retryRunsFor(spec.decision, pooledRuns) }, () => lastStageIndex(spec));

  const base = {
    id: randomUUID(),
    studyId: input.studyId,
    branchId: branch.id,
    parentRevisionId: branch.headRevisionId,
    hypothesis: proposal.hypothesis,
    variable: proposal.variable,
    description: proposal.description,
    changeKey: proposal.invalid === undefined ? proposal.changeKey : null,
    // Its runs at the stage it starts at (a retry: at the last); promotion adds the next stage's runs.
    repeats: runStages.length,
    retry: pooledRuns !== undefined,
    maxExperiments: input.maxExperiments,
    generationCap: spec.search.candidatesPerHead,
    edits: proposal.edits,
    modelUsage: proposal.usage ?? null,
  };
  if (proposal.invalid !== undefined) {
    return createOrStandDown(() => store.createExperiment({
      ...base, candidateRevisionId: null, diff: '', runIds: [], outcome: 'invalid', reason: proposal.invalid,
    }));
  }
  let changed: Record<string, string>;
  try {
    changed = applyEdits(mutableText, proposal.edits, spec.workspace.mutable);
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    return createOrStandDown(() => store.createExperiment({
      ...base, candidateRevisionId: null, diff: '', runIds: [], outcome: 'invalid', reason: error.message,
    }));
  }
  const candidateFiles = headFiles.map((file) =>
    file.path in changed && changed[file.path] !== mutableText[file.path]
      ? { ...file, content: Buffer.from(changed[file.path]!, 'utf8') }
      : file,
  );
  const candidateRevisionId = await store.putRevision(candidateFiles);
  const result = await createOrStandDown(() => store.createExperiment({
    ...base,
    candidateRevisionId,
    diff: diffRevisions(mutableText, changed),
    runIds: runStages.map(() => randomUUID()),
    runStages,
    ...(start.skipped && { stageVerdicts: [start.skipped] }),
  }));
  if (pooledRuns !== undefined && 'created' in result) {
    // A retry is held against the head: the head runs again beside it, or a head kept on one lucky run would
    // make every retry look worse for good.
    const head = await headRunCount(store, spec, input.studyId, branch);
    await queueHeadRuns(store, spec, result.created, branch, { head, candidateAfter: pooledRuns + runStages.length, referenceSoFar: 0 });
  }
  return result;
}

/**
 * The changes its branch has tried from the head (or has in flight), and apart from them those that may be
 * tried again, with the runs pooled over their tries so far and the p-value of their latest decision: a
 * change whose latest try was discarded within the noise, below maxRepeats runs (isRetryableDiscard).
 */
export function changesTriedFromHead(
  spec: StudySpec,
  branchHistory: ExperimentRow[],
  headRevisionId: string,
): { tried: Set<string>; retryable: Map<string, { runs: number; pValue: number }> } {
  const tries = new Map<string, ExperimentRow[]>();
  for (const e of branchHistory) {
    if (e.parentRevisionId !== headRevisionId || e.changeKey === null) continue;
    tries.set(e.changeKey, [...(tries.get(e.changeKey) ?? []), e]);
  }
  const tried = new Set<string>();
  const retryable = new Map<string, { runs: number; pValue: number }>();
  for (const [key, experiments] of tries) {
    const latest = experiments.reduce((a, b) => (b.number > a.number ? b : a));
    const settled = experiments.every((e) => e.status === 'decided');
    if (settled && isRetryableDiscard(spec.decision, latest.outcome, latest.stats)) {
      retryable.set(key, { runs: latest.stats!.nCandidate, pValue: latest.stats!.pValue ?? 1 });
    }
    else tried.add(key);
  }
  return { tried, retryable };
}

/**
 * Another controller made the same proposal a moment earlier, the last experiment the cap allows, or the
 * last candidate its branch may run from this head: this one stands down, and the next tick sees the other's work in the history.
 */
async function createOrStandDown(create: () => Promise<ExperimentRow>): Promise<CreateResult> {
  try {
    return { created: await create() };
  } catch (error) {
    if (error instanceof DuplicateChangeError || error instanceof ExperimentCapError || error instanceof GenerationFullError) return { duplicate: true };
    throw error;
  }
}

/** How many recent decided experiments' runs the evidence covers, and points kept per curve. */
const EVIDENCE_EXPERIMENTS = 6;
const CURVE_POINTS = 12;

/** The runs of the branch's last decided experiments: failures' last output (or the failed guard's) and every run's curves. */
async function gatherEvidence(store: Store, history: ExperimentRow[]): Promise<RunEvidence[]> {
  const recent = history
    .filter((e) => e.status === 'decided' && e.outcome !== 'invalid')
    .sort((a, b) => b.number - a.number)
    .slice(0, EVIDENCE_EXPERIMENTS);
  const evidence: RunEvidence[] = [];
  for (const experiment of recent) {
    const runs = await store.listRuns(experiment.id);
    const failed = runs.find((r) => r.status !== 'succeeded');
    // A run that succeeded but failed a command guard: what the mutator must see is that guard's output.
    const guardRun = failed ? undefined : runs.find((r) => failedCommandGuard(r.guards) !== undefined);
    const guard = guardRun && failedCommandGuard(guardRun.guards);
    const shown = failed ?? guardRun ?? runs[0];
    if (!shown) continue;
    const points = await store.getMetrics(shown.id, { kind: 'intermediate' });
    const curves: RunEvidence['curves'] = {};
    for (const point of points) (curves[point.name] ??= []).push({ step: point.step, value: point.value });
    for (const [name, curve] of Object.entries(curves)) curves[name] = thin(curve, CURVE_POINTS);
    evidence.push({
      experimentNumber: experiment.number,
      outcome: experiment.outcome,
      reason: failed?.reason ?? experiment.reason,
      logTail: failed ? (failed.logTail ?? []).slice(-30) : guard ? guard.outputTail.slice(-30) : [],
      ...(guard && { guard: guard.name }),
      curves,
    });
  }
  return evidence;
}

/** At most `n` points, evenly spaced, the last one always kept. */
function thin<T>(points: T[], n: number): T[] {
  if (points.length <= n) return points;
  const step = (points.length - 1) / (n - 1);
  return Array.from({ length: n }, (_, i) => points[Math.round(i * step)]!);
}
