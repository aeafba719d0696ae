// Screen, then promote (spec.stages): which stage's runs an experiment is decided on. A candidate at a
// stage before the last is promoted to the next stage or screened out there (decisions/promotion.ts); at
// the last stage, keep or discard is decided as in a study without stages (decide-experiment.ts), on that
// stage's runs only. The baseline and re-measurements run every stage, so the head has values at each and
// every comparison is made like for like.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { describeGuardFailure, evaluateGuards } from '../decisions/guard-checks.js';
import { auditDue, promoteIfTopFraction, promoteUnlessWorseThanHead, screenTrust, TRUST_WINDOW } from '../decisions/promotion.js';
import { mean, sampleStandardDeviation, type Spread } from '../decisions/statistics.js';
import { isStaged, stageOf, stagesOf } from '../spec/stages.js';
import type { BranchRow, ExperimentRow, RunRow, StageMeasurement, StageValues } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { decideExperiment, decideFailedRuns, guardedRun, peakMemoryOf, type DecisionInput, type ExperimentDecision } from './decide-experiment.js';

/** What a verdict at a stage before the last needs beyond the runs: read from the store by stageContextFor. */
export interface StageContext {
  /** The run-to-run spread measured at the stage; null when the head is that measurement, or it is unknown. */
  noise: Spread | null;
  /** top-fraction: the means at the stage of the candidates its branch screened before it. */
  earlier: number[];
  /** The study's latest candidates that ran this stage and the next: their means at both (whether to trust the stage). */
  pairs: { at: number; next: number }[];
  /** The study's candidates before it that the stage's rule turned away, and how many of those were audited. */
  turnedAway: { refused: number; audited: number };
  /** The run-to-run spreads the latest measurement of the head found at this stage and the next. */
  measured: { at: number | null; next: number | null };
}

const isMeasurement = (experiment: ExperimentRow) => experiment.number === 0 || experiment.kind === 'remeasure' || experiment.changeKey === null;

export function decideStagedExperiment(input: DecisionInput, context?: StageContext): ExperimentDecision {
  const { spec, experiment, runs } = input;
  if (!isStaged(spec)) return decideExperiment(input);
  const last = stagesOf(spec).length - 1;
  if (isMeasurement(experiment)) return decideMeasurement(input, last);
  const stage = Math.min(experiment.stageReached, last);
  const at = runsAt(runs, stage);
  if (stage === last) return withStageValues(spec, decideExperiment({ ...input, runs: at }), runs, last);
  return screen(input, at, stage, context ?? { noise: null, earlier: [], pairs: [], turnedAway: { refused: 0, audited: 0 }, measured: { at: null, next: null } });
}

/** A candidate's runs at a stage before the last: a failure, a failed guard, or the stage's promotion rule. */
function screen(input: DecisionInput, runs: RunRow[], stageIndex: number, context: StageContext): ExperimentDecision {
  const { spec } = input;
  const stage = stageOf(spec, stageIndex);
  const next = stageOf(spec, stageIndex + 1).name;
  const failed = decideFailedRuns(runs);
  if (failed) return { ...failed, reason: `${stage.name}: ${failed.reason}` };
  const peakMemoryMb = peakMemoryOf(runs);
  const guardFailure = spec.guards?.length ? describeGuardFailure(evaluateGuards(spec.guards, runs.map(guardedRun))) : null;
  if (guardFailure !== null) {
    const reason = `${stage.name}: ${guardFailure}; so it was not promoted to ${next}`;
    return { outcome: 'guard-failed', reason, score: null, peakMemoryMb, stats: null, newHeadValues: null, noise: null };
  }
  const values = valuesOf(spec, runs);
  const names = { stage: { index: stage.index, name: stage.name }, next };
  const decided = { score: null, peakMemoryMb, stats: null, newHeadValues: null, noise: null };
  const trust = screenTrust(context.pairs, stage.promote!.calibration, stage.name, next, context.measured);
  if (!trust.trusted) {
    // A screen not (yet) shown to predict the next stage judges nothing: the candidate goes on, and adds to the evidence.
    const candidateMean = mean(values);
    const summary = `${stage.name}: ${candidateMean.toFixed(4)}, not judged (${trust.summary}): promoted to ${next}`;
    const verdict = { stage: stage.index, name: stage.name, rule: stage.promote!.rule, promoted: true, mean: candidateMean, n: values.length, untrusted: trust, summary };
    return { ...decided, outcome: 'discard', reason: summary, promote: { toStage: stageIndex + 1, verdict } };
  }
  const verdict = stage.promote?.rule === 'top-fraction'
    ? promoteIfTopFraction({ ...names, direction: spec.objective.direction, fraction: stage.promote.fraction, candidateValues: values, earlier: context.earlier })
    : promoteUnlessWorseThanHead({
        ...names,
        direction: spec.objective.direction,
        headValues: input.branch.headStageValues[String(stageIndex)] ?? [],
        candidateValues: values,
        noise: context.noise,
        biasSigma: trust.biasSigma,
      });
  // A promotion's outcome is never recorded (the next stage decides); discard keeps it out of a generation's ranking.
  if (verdict.promoted) return { ...decided, outcome: 'discard', reason: verdict.summary, promote: { toStage: stageIndex + 1, verdict } };
  const { audit } = stage.promote!;
  if (auditDue(audit, context.turnedAway)) {
    const share = `${Math.round(audit * 100)}% of those turned away`;
    const audited = { ...verdict, promoted: true, audited: true, summary: `${verdict.summary}, but audited: promoted to ${next} anyway (${share} are, to keep checking that ${stage.name} predicts ${next})` };
    return { ...decided, outcome: 'discard', reason: audited.summary, promote: { toStage: stageIndex + 1, verdict: audited } };
  }
  return { ...decided, outcome: 'screened-out', reason: verdict.summary, stageVerdict: verdict };
}

/**
 * The baseline or a re-measurement: decided on the last stage's runs as in a study without stages, after a
 * failure at any stage; its values at every stage become the head's, and its spread at each the noise there.
 */
function decideMeasurement(input: DecisionInput, last: number): ExperimentDecision {
  const { spec, runs } = input;
  for (const stage of stagesOf(spec).slice(0, last)) {
    const failed = decideFailedRuns(runsAt(runs, stage.index));
    if (failed) return { ...failed, reason: `${stage.name}: ${failed.reason}` };
  }
  const decision = withStageValues(spec, decideExperiment({ ...input, runs: runsAt(runs, last) }), runs, last);
  if (!decision.stats) return decision;
  const stages: StageMeasurement[] = stagesOf(spec).map((stage) => {
    const values = valuesOf(spec, runsAt(runs, stage.index));
    return { stage: stage.index, name: stage.name, n: values.length, mean: values.length > 0 ? mean(values) : Number.NaN, sigma: values.length >= 2 ? sampleStandardDeviation(values) : null };
  });
  const earlier = stages.slice(0, last).map((m) => `${m.name} ${m.mean.toFixed(6)}${m.sigma === null ? '' : ` (σ=${m.sigma.toPrecision(3)})`}`).join(', ');
  const reason = `${decision.reason}; at the earlier stages: ${earlier}`;
  return { ...decision, reason, stats: { ...decision.stats, summary: reason, stages } };
}

/** The head's values at every stage, when the decision makes the candidate the head. */
function withStageValues(spec: StudySpec, decision: ExperimentDecision, runs: RunRow[], last: number): ExperimentDecision {
  if (decision.newHeadValues === null) return decision;
  const stageValues: StageValues = {};
  for (let stage = 0; stage < last; stage += 1) stageValues[String(stage)] = valuesOf(spec, runsAt(runs, stage));
  stageValues[String(last)] = decision.newHeadValues;
  return { ...decision, newHeadStageValues: stageValues };
}

/** The working (and confirmation) runs at one stage. */
function runsAt(runs: RunRow[], stage: number): RunRow[] {
  return runs.filter((r) => r.stage === stage && r.role !== 'holdout');
}

function valuesOf(spec: StudySpec, runs: RunRow[]): number[] {
  return runs.map((r) => r.metrics?.[spec.objective.metric]).filter((v): v is number => typeof v === 'number');
}

/** What a candidate at a stage before the last is judged with; undefined for anything else. */
export async function stageContextFor(store: Store, spec: StudySpec, experiment: ExperimentRow, branch: BranchRow): Promise<StageContext | undefined> {
  if (!isStaged(spec) || isMeasurement(experiment)) return undefined;
  const stage = stageOf(spec, experiment.stageReached);
  if (stage.promote === null) return undefined;
  const measurement = await store.getLatestNoiseMeasurement(experiment.studyId);
  const measuredAt = (index: number) => measurement?.stats?.stages?.find((m) => m.stage === index);
  const measured = measuredAt(stage.index);
  // When the head is the measurement, its own values carry the spread; counting it again would double its weight.
  const noise = measurement && measured && measured.sigma !== null && measured.n >= 2 && branch.headExperimentId !== measurement.id
    ? { sigma: measured.sigma, degreesOfFreedom: measured.n - 1 }
    : null;
  const earlier = stage.promote.rule === 'top-fraction'
    ? (await store.listStageMeans({ branchId: branch.id, stage: stage.index, metric: spec.objective.metric, beforeNumber: experiment.number, limit: stage.promote.window })).map((r) => r.mean)
    : [];
  const pairs = stage.promote.calibration === 0
    ? []
    : await store.listStagePairs({ studyId: experiment.studyId, stage: stage.index, metric: spec.objective.metric, beforeNumber: experiment.number, limit: TRUST_WINDOW });
  const turnedAway = stage.promote.audit > 0
    ? await store.countStageRefusals({ studyId: experiment.studyId, stage: stage.index, beforeNumber: experiment.number })
    : { refused: 0, audited: 0 };
  return { noise, earlier, pairs, turnedAway, measured: { at: measured?.sigma ?? null, next: measuredAt(stage.index + 1)?.sigma ?? null } };
}
