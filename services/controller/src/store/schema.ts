// The database schema: Postgres is the source of truth for every study.
// Migrations under ./migrations are generated from this file by `npm run db:generate` and committed.
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { EvalVerdict, GuardResult } from '../../../../schemas/src/messages.js';
import type { StudySpec } from '../../../../schemas/src/study-spec.js';

/** Raw bytes. pg hands back a Buffer and PGlite a Uint8Array; callers get a Buffer either way. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
  toDriver: (value) => value,
});

/**
 * Millisecond precision, like a JS Date: a microsecond timestamp read into a Date and sent back (as a
 * pagination cursor, say) would no longer equal itself and rows would be skipped.
 */
const timestampMs = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });
const createdAt = () => timestampMs('created_at').notNull().defaultNow();

/** `paused`: its mutator's model is unreachable; its runs go on and it resumes by itself. */
export type StudyStatus = 'running' | 'paused' | 'stopping' | 'stopped' | 'completed';
export type ExperimentStatus = 'pending' | 'decided';

export interface ModelUsage {
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  costUsd: number;
}
/**
 * reverted: passed the rule, but its confirmation runs did not hold the gain, so its branch stayed on its
 * head. adopted: a branch took the best branch's head (an adoption record, with no runs of its own).
 * guard-failed: its runs succeeded, but one failed a guard (spec.guards), so it is not kept whatever its metric.
 * screened-out: its result at a stage before the last (spec.stages) was not promising enough to run the next.
 */
export type ExperimentOutcome =
  | 'baseline' | 'keep' | 'discard' | 'crash' | 'timeout' | 'invalid' | 'stopped' | 'early-stopped' | 'remeasure' | 'reverted' | 'adopted'
  | 'guard-failed' | 'screened-out';
/**
 * baseline: experiment #0, the unmodified workspace. candidate: one change to a head. remeasure: the best
 * head run again, unchanged, to measure the noise afresh (every decision.remeasureEvery experiments, or on
 * demand) and refresh the head's values. adopt: a lagging branch takes the best branch's head
 * (search.adoptEvery); decided when created, with no runs, and not counted as an experiment by the stop conditions.
 */
export type ExperimentKind = 'baseline' | 'candidate' | 'remeasure' | 'adopt';
export type RunRowStatus = 'queued' | 'running' | 'succeeded' | 'crashed' | 'timeout' | 'stopped' | 'lost';
/**
 * working: a run that scores its experiment. holdout: a skill run on a holdout input, made only at the
 * baseline and at the end, which is reported but never decides anything. confirm: a fresh run of a
 * candidate that passed the rule (decision.confirmRuns), which must hold the gain before it is kept.
 * reference: a run of the HEAD (its revisionId is the parent's) queued beside a candidate's adaptive
 * repeats, so both sides of the comparison grow; it scores the head, never the candidate.
 */
export type RunRole = 'working' | 'holdout' | 'confirm' | 'reference';

/** The embedded mode's one team, created on demand: a study always belongs to a team. */
export const LOCAL_TEAM_NAME = 'local';

/** Who shares the queue: every study belongs to one team, and a team may be capped in running runs. */
export const teams = pgTable(
  'teams',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** At most this many runs of the team's studies run at once; null means no cap. */
    quotaSlots: integer('quota_slots'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('teams_name_uq').on(t.name), check('teams_quota_slots_check', sql`${t.quotaSlots} >= 0`)],
);

/** API bearer tokens. Only the sha256 of a token is stored; the token is shown once, when created. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id),
    /** Who or what holds the token; the default owner of the studies it submits. */
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestampMs('last_used_at'),
    revokedAt: timestampMs('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_uq').on(t.tokenHash), index('api_tokens_team_idx').on(t.teamId)],
);

export const studies = pgTable(
  'studies',
  {
    id: text('id').primaryKey(),
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id),
    /** The person (or token) that submitted the study. */
    owner: text('owner'),
    /** Fair-share weight: a study gets slots in proportion to its priority. */
    priority: integer('priority').notNull().default(1),
    name: text('name').notNull(),
    flavor: text('flavor').notNull(),
    spec: jsonb('spec').$type<StudySpec>().notNull(),
    specHash: text('spec_hash').notNull(),
    /** The folder the study came from, when it was started from one. */
    sourceDir: text('source_dir'),
    status: text('status').$type<StudyStatus>().notNull().default('running'),
    stopReason: text('stop_reason'),
    /** Why the study is paused (its model unreachable), while it is. */
    pausedReason: text('paused_reason'),
    /** What a stopping study becomes once its last run has ended: `stopped` (asked) or `completed` (a stop condition). */
    finalStatus: text('final_status').$type<'stopped' | 'completed'>(),
    /** Run-to-run standard deviation of the objective, measured on the baseline's repeats. */
    noiseSigma: doublePrecision('noise_sigma'),
    /** Stop conditions given on the command line, on top of the spec's. */
    stopOverrides: jsonb('stop_overrides').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    startedAt: timestampMs('started_at').notNull().defaultNow(),
    stoppedAt: timestampMs('stopped_at'),
  },
  (t) => [
    index('studies_source_dir_idx').on(t.sourceDir),
    index('studies_created_idx').on(t.createdAt, t.id),
    index('studies_team_created_idx').on(t.teamId, t.createdAt, t.id),
    check('studies_priority_check', sql`${t.priority} >= 1`),
  ],
);

/** Content-addressed file contents, shared by every revision that holds them. */
export const blobs = pgTable('blobs', {
  sha256: text('sha256').primaryKey(),
  size: integer('size').notNull(),
  content: bytea('content').notNull(),
  createdAt: createdAt(),
});

export interface ManifestEntry {
  path: string;
  sha256: string;
  mode: number;
}

/** An immutable snapshot of a workspace. Its id is the sha256 of its manifest, so equal trees share a row. */
export const revisions = pgTable('revisions', {
  id: text('id').primaryKey(),
  manifest: jsonb('manifest').$type<ManifestEntry[]>().notNull(),
  createdAt: createdAt(),
});

export const branches = pgTable(
  'branches',
  {
    id: text('id').primaryKey(),
    studyId: text('study_id')
      .notNull()
      .references(() => studies.id),
    index: integer('index').notNull(),
    headRevisionId: text('head_revision_id')
      .notNull()
      .references(() => revisions.id),
    /** The experiment whose candidate is the head (null until the baseline is decided). */
    headExperimentId: text('head_experiment_id'),
    /** Mean objective of the head's runs. */
    headScore: doublePrecision('head_score'),
    /** The head's individual run values, which the noise-aware rule compares against. */
    headValues: jsonb('head_values').$type<number[]>().notNull().default([]),
    /**
     * The head's run values at each stage (spec.stages), by stage index: a candidate's result at a stage is
     * held against the head's at the same stage. The last stage's are headValues.
     */
    headStageValues: jsonb('head_stage_values').$type<StageValues>().notNull().default({}),
    /** The last adoption round (search.adoptEvery) this branch has been compared in. */
    adoptionRound: integer('adoption_round').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('branches_study_index_uq').on(t.studyId, t.index)],
);

/** Run values by stage index (a JSON object's keys are strings). */
export type StageValues = Record<string, number[]>;

/** What a measurement of the head (the baseline, a re-measurement) found at one stage. */
export interface StageMeasurement {
  stage: number;
  name: string;
  n: number;
  mean: number;
  /** The run-to-run spread at this stage; null with one run. */
  sigma: number | null;
}

/** A stage's verdict on a candidate before the last stage: promoted to the next stage, or screened out. */
export interface StageVerdict {
  stage: number;
  name: string;
  rule: 'better-than-head-minus-noise' | 'top-fraction';
  promoted: boolean;
  /** The candidate's mean at this stage, over `n` runs; null when it skipped the stage (n 0). */
  mean: number | null;
  n: number;
  /** better-than-head-minus-noise: the head's mean at this stage and the noise allowed (0 when unknown). */
  headMean?: number | null;
  margin?: number;
  /** top-fraction: the candidate's rank (1 is best) among `of`, and how many of them go on. */
  rank?: number;
  of?: number;
  promotedCount?: number;
  /** Not judged by its rule: the screen is not trusted (yet), so every candidate goes on. */
  untrusted?: ScreenTrust;
  /** Its rule turned it away, but it was promoted anyway to keep checking the screen (promote.audit). */
  audited?: boolean;
  /** It never ran this stage: the stage was distrusted (untrusted says why), so it started at the next. */
  skipped?: boolean;
  summary: string;
}

/** Whether a stage's results have predicted the next stage's (spec.stages[i].promote.calibration). */
export interface ScreenTrust {
  trusted: boolean;
  /** Candidates that ran both stages, of the last 10, and the correlation of their results there (null below 3). */
  n: number;
  r: number | null;
  /** When trusted: the spread of the stage's own error per configuration, in its units (better-than-head-minus-noise allows it). */
  biasSigma?: number;
  summary: string;
}

export interface DecisionStats {
  rule: 'strict' | 'noise-aware' | 'baseline';
  /** Improvement in the objective's direction: positive means better. */
  delta: number | null;
  sigma: number | null;
  threshold: number | null;
  nCandidate: number;
  nHead: number;
  candidateMean: number | null;
  headMean: number | null;
  pValue: number | null;
  summary: string;
  /** A confirmed or reverted candidate: what its first runs alone showed, before the fresh ones. */
  confirmation?: { firstSummary: string; firstMean: number; freshRuns: number; freshMean: number };
  /** Each guard's verdict on the runs, when the study declares guards. */
  guards?: GuardVerdict[];
  /** A measurement of the head in a study with stages: what it found at each stage (the noise at each). */
  stages?: StageMeasurement[];
}

/** One guard's verdict on an experiment's runs: it passes only when every run passed it. */
export interface GuardVerdict {
  name: string;
  kind: 'command' | 'maxPeakMemoryMb' | 'maxRunSeconds';
  passed: boolean;
  /** Runs it was checked on. */
  runs: number;
  /** The first failing run (1-based, as the reasons count) and why; absent when it passed. */
  failure?: { run: number; reason: string };
  /** Runs a limit could not be checked on (a run too short to sample its memory): it passes them, and says so. */
  unmeasured?: number;
}

export const experiments = pgTable(
  'experiments',
  {
    id: text('id').primaryKey(),
    studyId: text('study_id')
      .notNull()
      .references(() => studies.id),
    branchId: text('branch_id')
      .notNull()
      .references(() => branches.id),
    /** 0 is the baseline; numbers are dense within a study, so results.tsv has no gaps. */
    number: integer('number').notNull(),
    kind: text('kind').$type<ExperimentKind>().notNull().default('candidate'),
    parentRevisionId: text('parent_revision_id')
      .notNull()
      .references(() => revisions.id),
    /** Null when the mutation could not be applied (outcome invalid). */
    candidateRevisionId: text('candidate_revision_id').references(() => revisions.id),
    status: text('status').$type<ExperimentStatus>().notNull().default('pending'),
    outcome: text('outcome').$type<ExperimentOutcome>(),
    reason: text('reason'),
    hypothesis: text('hypothesis').notNull().default(''),
    variable: text('variable'),
    description: text('description').notNull().default(''),
    /** Identifies the change for "never repeat what was tried from this head". */
    changeKey: text('change_key'),
    diff: text('diff').notNull().default(''),
    /** The proposal's edits, kept so a proposal made ahead can be re-applied to a head that moved. */
    edits: jsonb('edits').$type<{ path: string; search: string; replace: string }[]>(),
    /** What proposing it cost: tokens by kind and USD, over every call (re-asks included). */
    modelUsage: jsonb('model_usage').$type<ModelUsage>(),
    repeats: integer('repeats').notNull(),
    /** The furthest stage (spec.stages, 0-based) it has runs at; 0 in a study without stages. */
    stageReached: integer('stage_reached').notNull().default(0),
    /** The verdict of each stage before the last that it was screened at, in stage order. */
    stageVerdicts: jsonb('stage_verdicts').$type<StageVerdict[]>().notNull().default([]),
    score: doublePrecision('score'),
    peakMemoryMb: doublePrecision('peak_memory_mb'),
    stats: jsonb('stats').$type<DecisionStats>(),
    createdAt: createdAt(),
    decidedAt: timestampMs('decided_at'),
  },
  (t) => [
    uniqueIndex('experiments_study_number_uq').on(t.studyId, t.number),
    index('experiments_branch_idx').on(t.branchId),
  ],
);

export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    studyId: text('study_id')
      .notNull()
      .references(() => studies.id),
    experimentId: text('experiment_id')
      .notNull()
      .references(() => experiments.id),
    revisionId: text('revision_id')
      .notNull()
      .references(() => revisions.id),
    repeatIndex: integer('repeat_index').notNull(),
    role: text('role').$type<RunRole>().notNull().default('working'),
    /** The stage it runs at (spec.stages, 0-based): its budget, repeats and GPU class; 0 without stages. */
    stage: integer('stage').notNull().default(0),
    /** Increments each time the run is handed to an agent again; results are ingested by (id, attempt). */
    attempt: integer('attempt').notNull().default(0),
    status: text('status').$type<RunRowStatus>().notNull().default('queued'),
    /** sha256 of the run-scoped bearer token; the token itself is never stored. */
    tokenHash: text('token_hash'),
    slot: text('slot'),
    host: text('host'),
    exitCode: integer('exit_code'),
    signal: text('signal'),
    reason: text('reason'),
    peakMemoryMb: doublePrecision('peak_memory_mb'),
    metrics: jsonb('metrics').$type<Record<string, number>>(),
    logTail: jsonb('log_tail').$type<string[]>(),
    /** The command guards' results, when the run succeeded and the study declares any. */
    guards: jsonb('guards').$type<GuardResult[]>(),
    startedAt: timestampMs('started_at'),
    finishedAt: timestampMs('finished_at'),
    heartbeatAt: timestampMs('heartbeat_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('runs_experiment_repeat_uq').on(t.experimentId, t.repeatIndex),
    index('runs_study_status_idx').on(t.studyId, t.status),
    // The assignment route tells "another run's token" (403) from "no run's token" (401) by this lookup.
    index('runs_token_hash_idx').on(t.tokenHash),
  ],
);

/** Final and intermediate metric values of runs. */
export const metrics = pgTable(
  'metrics',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    attempt: integer('attempt').notNull(),
    name: text('name').notNull(),
    value: doublePrecision('value').notNull(),
    step: doublePrecision('step'),
    kind: text('kind').$type<'final' | 'intermediate'>().notNull(),
    ts: timestampMs('ts').notNull(),
  },
  (t) => [index('metrics_run_idx').on(t.runId, t.name)],
);

export const runLogs = pgTable(
  'run_logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    attempt: integer('attempt').notNull(),
    stream: text('stream').notNull(),
    line: text('line').notNull(),
    ts: timestampMs('ts').notNull(),
  },
  (t) => [index('run_logs_run_idx').on(t.runId, t.id)],
);

/** What each attempt of a skill run produced: its output and every eval's verdict with its evidence. */
export const skillOutputs = pgTable(
  'skill_outputs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    attempt: integer('attempt').notNull(),
    studyId: text('study_id')
      .notNull()
      .references(() => studies.id),
    experimentId: text('experiment_id')
      .notNull()
      .references(() => experiments.id),
    input: text('input').notNull(),
    holdout: boolean('holdout').notNull(),
    output: text('output').notNull(),
    verdicts: jsonb('verdicts').$type<EvalVerdict[]>().notNull(),
    /** The run's status and reason: a failed run's verdicts are all fails, whatever it produced. */
    status: text('status').notNull(),
    reason: text('reason'),
    modelCalls: integer('model_calls').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('skill_outputs_run_attempt_uq').on(t.runId, t.attempt), index('skill_outputs_experiment_idx').on(t.experimentId)],
);

/** The append-only event log: every state change of a study, in order. Never updated, never deleted. */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    studyId: text('study_id').references(() => studies.id),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [index('events_study_idx').on(t.studyId, t.id)],
);

export type TeamRow = typeof teams.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type StudyRow = typeof studies.$inferSelect;
export type BranchRow = typeof branches.$inferSelect;
export type ExperimentRow = typeof experiments.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type SkillOutputRow = typeof skillOutputs.$inferSelect;
