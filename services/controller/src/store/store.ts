// The controller's one handle on its state. Each method is one query or one transaction, defined in
// queries/; this class binds them to a database and its driver, so callers never see drizzle.
import type { LogLine, MetricPoint, ResultMessage } from '../../../../schemas/src/messages.js';
import type { StoreDb, StoreDriver } from './db.js';
import type {
  BranchRow,
  EventRow,
  ExperimentRow,
  ManifestEntry,
  RunRow,
  RunRowStatus,
  SkillOutputRow,
  StudyRow,
  StudyStatus,
  TeamRow,
} from './schema.js';
import {
  createApiToken,
  findTeamByTokenHash,
  revokeApiToken,
  type CreatedApiToken,
  type NewApiToken,
  type TokenTeam,
} from './queries/api-tokens.js';
import { adoptHead, markAdoptionRound, type Adoption } from './queries/adopt-head.js';
import { createBranch, getBranch, listBranches, moveBranchHead, type BranchHead, type NewBranch } from './queries/branches.js';
import { claimQueuedRun, type ClaimRequest } from './queries/claim-run.js';
import { decideExperiment, type ExperimentDecision } from './queries/decide-experiment.js';
import { appendEvent, listAllEvents, listEvents, type ListEventsOptions } from './queries/events.js';
import {
  addRuns,
  countExperiments,
  createExperiment,
  dropExperiment,
  rebaseExperiment,
  getExperiment,
  getExperimentByNumber,
  getLatestNoiseMeasurement,
  listExperiments,
  listTriedChangeKeys,
  type AddedRuns,
  type ListExperimentsOptions,
  type NewExperiment,
} from './queries/experiments.js';
import { ingestResult, type IngestOutcome } from './queries/ingest-result.js';
import { promoteExperiment, type Promotion } from './queries/promote-experiment.js';
import { listEarlierTries, listReferenceRuns, type EarlierTriesQuery } from './queries/pooled-evidence.js';
import { countStageRefusals, listStageMeans, listStagePairs, type StageMeansQuery, type StagePairsQuery } from './queries/stage-results.js';
import { countRunsPerTeam, countStudiesByStatus, type TeamQueue } from './queries/queue-depth.js';
import { recordLostRun, recordRunEnd, type LostRun } from './queries/run-liveness.js';
import { getRevisionFiles, getRevisionManifest, putRevision, type RevisionFile } from './queries/revisions.js';
import {
  cancelQueuedRuns,
  finishRun,
  listSilentRuns,
  recordRunStarted,
  requeueRunningRuns,
  requeueUnfinishedRuns,
  touchHeartbeat,
  type RunEndingWithoutResult,
} from './queries/run-lifecycle.js';
import { findRunningRunByTokenHash, getRun, listRuns, listRunsByStatus } from './queries/runs.js';
import { listSkillOutputs, type SkillOutputsQuery } from './queries/skill-outputs.js';
import {
  createStudy,
  findStudyBySourceDir,
  getStudy,
  listStudies,
  listStudiesByStatus,
  updateStudy,
  type ListStudiesOptions,
  type NewStudy,
  type Page,
  type StudyPatch,
} from './queries/studies.js';
import { ensureTeam, getTeamByName, setTeamQuota, type EnsureTeamOptions } from './queries/teams.js';
import { latestEventId, listTeamEvents } from './queries/event-feed.js';
import { listExperimentOutcomes, type ExperimentOutcomeRow } from './queries/experiment-outcomes.js';
import { getQueueState, type QueueState } from './queries/queue-state.js';
import { listSkillEvalRates, type EvalRatesRow } from './queries/skill-eval-rates.js';
import { getStudyCost, type StudyCost } from './queries/study-cost.js';
import { listStudyPoints, type ListPointsOptions, type StudyPoints } from './queries/study-points.js';
import {
  appendLogs,
  appendMetricPoints,
  getLogs,
  getMetrics,
  type LogRow,
  type MetricKind,
  type MetricRow,
} from './queries/telemetry.js';

export class Store {
  constructor(
    /** The drizzle handle, for tests and one-off maintenance; application code uses the methods. */
    readonly db: StoreDb,
    readonly driver: StoreDriver,
    private readonly closeDriver: () => Promise<void>,
  ) {}

  #closed: Promise<void> | undefined;

  /** Ends the pool or PGlite instance. Safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= this.closeDriver();
    return this.#closed;
  }

  // Teams and API tokens
  ensureTeam(name: string, options?: EnsureTeamOptions): Promise<TeamRow> {
    return ensureTeam(this.db, name, options);
  }
  getTeamByName(name: string): Promise<TeamRow | undefined> {
    return getTeamByName(this.db, name);
  }
  setTeamQuota(name: string, quotaSlots: number | null): Promise<TeamRow | undefined> {
    return setTeamQuota(this.db, name, quotaSlots);
  }
  createApiToken(input: NewApiToken): Promise<CreatedApiToken> {
    return createApiToken(this.db, input);
  }
  findTeamByTokenHash(tokenHash: string): Promise<TokenTeam | null> {
    return findTeamByTokenHash(this.db, tokenHash);
  }
  revokeApiToken(id: string): Promise<boolean> {
    return revokeApiToken(this.db, id);
  }

  // Studies
  createStudy(study: NewStudy): Promise<StudyRow> {
    return createStudy(this.db, study);
  }
  getStudy(id: string): Promise<StudyRow | undefined> {
    return getStudy(this.db, id);
  }
  findStudyBySourceDir(sourceDir: string): Promise<StudyRow | undefined> {
    return findStudyBySourceDir(this.db, sourceDir);
  }
  listStudies(options: ListStudiesOptions): Promise<Page<StudyRow>> {
    return listStudies(this.db, options);
  }
  listStudiesByStatus(statuses: StudyStatus[]): Promise<StudyRow[]> {
    return listStudiesByStatus(this.db, statuses);
  }
  countStudiesByStatus(): Promise<{ status: string; studies: number }[]> {
    return countStudiesByStatus(this.db);
  }
  updateStudy(id: string, patch: StudyPatch): Promise<StudyRow | undefined> {
    return updateStudy(this.db, id, patch);
  }

  // Revisions
  putRevision(files: RevisionFile[]): Promise<string> {
    return putRevision(this.db, files);
  }
  getRevisionFiles(id: string): Promise<RevisionFile[]> {
    return getRevisionFiles(this.db, id);
  }
  getRevisionManifest(id: string): Promise<ManifestEntry[]> {
    return getRevisionManifest(this.db, id);
  }

  // Branches
  createBranch(branch: NewBranch): Promise<BranchRow> {
    return createBranch(this.db, branch);
  }
  getBranch(id: string): Promise<BranchRow | undefined> {
    return getBranch(this.db, id);
  }
  listBranches(studyId: string): Promise<BranchRow[]> {
    return listBranches(this.db, studyId);
  }
  moveBranchHead(branchId: string, head: BranchHead): Promise<BranchRow | undefined> {
    return moveBranchHead(this.db, branchId, head);
  }
  markAdoptionRound(branchId: string, round: number): Promise<boolean> {
    return markAdoptionRound(this.db, branchId, round);
  }
  adoptHead(adoption: Adoption): Promise<ExperimentRow | undefined> {
    return adoptHead(this.db, adoption);
  }

  // Experiments
  rebaseExperiment(input: Parameters<typeof rebaseExperiment>[1]): Promise<boolean> {
    return rebaseExperiment(this.db, input);
  }
  dropExperiment(experimentId: string, reason: string): Promise<boolean> {
    return dropExperiment(this.db, experimentId, reason);
  }
  createExperiment(experiment: NewExperiment): Promise<ExperimentRow> {
    return createExperiment(this.db, experiment);
  }
  getExperiment(id: string): Promise<ExperimentRow | undefined> {
    return getExperiment(this.db, id);
  }
  getExperimentByNumber(studyId: string, number: number): Promise<ExperimentRow | undefined> {
    return getExperimentByNumber(this.db, studyId, number);
  }
  getLatestNoiseMeasurement(studyId: string): Promise<ExperimentRow | undefined> {
    return getLatestNoiseMeasurement(this.db, studyId);
  }
  listExperiments(studyId: string, options: ListExperimentsOptions): Promise<ExperimentRow[]> {
    return listExperiments(this.db, studyId, options);
  }
  countExperiments(studyId: string): Promise<number> {
    return countExperiments(this.db, studyId);
  }
  listTriedChangeKeys(studyId: string, parentRevisionId: string): Promise<string[]> {
    return listTriedChangeKeys(this.db, studyId, parentRevisionId);
  }
  decideExperiment(decision: ExperimentDecision): Promise<boolean> {
    return decideExperiment(this.db, decision);
  }

  // Runs
  getRun(id: string): Promise<RunRow | undefined> {
    return getRun(this.db, id);
  }
  listRuns(experimentId: string): Promise<RunRow[]> {
    return listRuns(this.db, experimentId);
  }
  addRuns(input: AddedRuns): Promise<number> {
    return addRuns(this.db, input);
  }
  promoteExperiment(promotion: Promotion): Promise<boolean> {
    return promoteExperiment(this.db, promotion);
  }
  listStageMeans(query: StageMeansQuery): Promise<{ number: number; mean: number }[]> {
    return listStageMeans(this.db, query);
  }
  listReferenceRuns(query: { studyId: string; revisionId: string; stage: number }): Promise<RunRow[]> {
    return listReferenceRuns(this.db, query);
  }
  listEarlierTries(query: EarlierTriesQuery): Promise<{ number: number; run: RunRow }[]> {
    return listEarlierTries(this.db, query);
  }
  listStagePairs(query: StagePairsQuery): Promise<{ number: number; at: number; next: number }[]> {
    return listStagePairs(this.db, query);
  }
  countStageRefusals(query: { studyId: string; stage: number; beforeNumber: number }): Promise<{ refused: number; audited: number }> {
    return countStageRefusals(this.db, query);
  }
  listSkillOutputs(query: SkillOutputsQuery): Promise<SkillOutputRow[]> {
    return listSkillOutputs(this.db, query);
  }
  listRunsByStatus(studyId: string, status: RunRowStatus): Promise<RunRow[]> {
    return listRunsByStatus(this.db, studyId, status);
  }
  findRunningRunByTokenHash(tokenHash: string): Promise<RunRow | undefined> {
    return findRunningRunByTokenHash(this.db, tokenHash);
  }
  claimQueuedRun(request: ClaimRequest): Promise<RunRow | undefined> {
    return claimQueuedRun(this.db, request);
  }
  countRunsPerTeam(): Promise<TeamQueue[]> {
    return countRunsPerTeam(this.db);
  }
  recordRunStarted(runId: string, attempt: number, started: { host: string; startedAt: Date }): Promise<boolean> {
    return recordRunStarted(this.db, runId, attempt, started);
  }
  touchHeartbeat(runId: string, attempt: number): Promise<boolean> {
    return touchHeartbeat(this.db, runId, attempt);
  }
  ingestResult(message: ResultMessage): Promise<IngestOutcome> {
    return ingestResult(this.db, message);
  }
  finishRun(
    runId: string,
    attempt: number,
    ending: { status: RunEndingWithoutResult; reason: string },
  ): Promise<RunRow | undefined> {
    return finishRun(this.db, runId, attempt, ending);
  }
  recordLostRun(runId: string, attempt: number, options: { reason: string; retries: number; from?: 'running' | 'stopped' }): Promise<LostRun | undefined> {
    return recordLostRun(this.db, runId, attempt, options);
  }
  recordRunEnd(runId: string, attempt: number, end: { status: 'crashed' | 'stopped'; reason: string }): Promise<{ studyId: string } | undefined> {
    return recordRunEnd(this.db, runId, attempt, end);
  }
  listSilentRuns(before: Date): Promise<RunRow[]> {
    return listSilentRuns(this.db, before);
  }
  requeueRunningRuns(studyId: string): Promise<number> {
    return requeueRunningRuns(this.db, studyId);
  }
  requeueUnfinishedRuns(studyId: string): Promise<number> {
    return requeueUnfinishedRuns(this.db, studyId);
  }
  cancelQueuedRuns(experimentId: string, reason?: string): Promise<number> {
    return cancelQueuedRuns(this.db, experimentId, reason);
  }

  // Logs and metrics
  appendLogs(runId: string, attempt: number, lines: LogLine[]): Promise<void> {
    return appendLogs(this.db, runId, attempt, lines);
  }
  getLogs(runId: string, options: { afterId?: number; limit: number }): Promise<LogRow[]> {
    return getLogs(this.db, runId, options);
  }
  appendMetricPoints(runId: string, attempt: number, points: MetricPoint[], kind: MetricKind): Promise<void> {
    return appendMetricPoints(this.db, runId, attempt, points, kind);
  }
  getMetrics(runId: string, options?: { kind?: MetricKind; afterId?: number; limit?: number }): Promise<MetricRow[]> {
    return getMetrics(this.db, runId, options);
  }

  // Events
  appendEvent(studyId: string | null, type: string, payload?: Record<string, unknown>): Promise<EventRow> {
    return appendEvent(this.db, studyId, type, payload);
  }
  listEvents(studyId: string, options: ListEventsOptions): Promise<EventRow[]> {
    return listEvents(this.db, studyId, options);
  }
  listAllEvents(options: ListEventsOptions): Promise<EventRow[]> {
    return listAllEvents(this.db, options);
  }
  latestEventId(studyId?: string): Promise<number> {
    return latestEventId(this.db, studyId);
  }
  listTeamEvents(teamId: string, options: { afterId: number; limit: number }): Promise<EventRow[]> {
    return listTeamEvents(this.db, teamId, options);
  }

  // What the dashboard reads: compact or aggregated, so a study of 20,000 experiments stays cheap
  listExperimentOutcomes(studyId: string): Promise<ExperimentOutcomeRow[]> {
    return listExperimentOutcomes(this.db, studyId);
  }
  listStudyPoints(studyId: string, options: ListPointsOptions): Promise<StudyPoints> {
    return listStudyPoints(this.db, studyId, options);
  }
  getStudyCost(studyId: string, options: { skill: boolean }): Promise<StudyCost> {
    return getStudyCost(this.db, studyId, options);
  }
  listSkillEvalRates(studyId: string, options: { afterNumber?: number; limit: number }): Promise<EvalRatesRow[]> {
    return listSkillEvalRates(this.db, studyId, options);
  }
  getQueueState(): Promise<QueueState> {
    return getQueueState(this.db);
  }
}
