// Response schemas of the records the API returns (studies, experiments, runs, events, logs), for the
// OpenAPI document at /docs and fast serialization. Objects stay open (additionalProperties) so a column
// added to the store is returned before it is documented, never silently dropped.
import { Type, type TSchema } from '@sinclair/typebox';
import { Nullable } from './nullable.js';

/** A Date from the store, sent as an ISO 8601 string. */
const Timestamp = () => Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
const NullableTimestamp = () => Type.Unsafe<Date | string | null>({ type: ['string', 'null'], format: 'date-time' });
/** A JSON column whose shape is its own (the study spec, decision statistics): passed through as stored. */
const Json = (description: string) => Type.Unsafe<unknown>({ description });
const open = { additionalProperties: true } as const;

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'A stable code: INVALID_INPUT, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, …' }),
    message: Type.String(),
    fields: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, open), { description: 'Each wrong field, for 400.' })),
  },
  { ...open, description: 'What went wrong; a 4xx names the field and the problem.' },
);

/** The answers every /v1 route may give besides its own. */
export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } as const;

const studyFields = {
  id: Type.String(),
  teamId: Type.String(),
  owner: Nullable(Type.String()),
  priority: Type.Integer({ description: 'Fair-share weight.' }),
  name: Type.String(),
  flavor: Type.String({ description: 'training or skill' }),
  spec: Json('The study spec, defaults applied (schemas/json/study-spec.schema.json).'),
  sourceDir: Nullable(Type.String()),
  status: Type.String({ description: 'running, paused, stopping, stopped or completed' }),
  stopReason: Nullable(Type.String()),
  pausedReason: Nullable(Type.String()),
  finalStatus: Nullable(Type.String()),
  noiseSigma: Nullable(Type.Number({ description: "Run-to-run standard deviation of the objective, from the baseline's runs." })),
  stopOverrides: Json('Stop conditions given on the command line, on top of the spec.'),
  createdAt: Timestamp(),
  startedAt: Timestamp(),
  stoppedAt: NullableTimestamp(),
};

export const StudySchema = Type.Object(studyFields, open);

export const StudyProgressSchema = Type.Object(
  {
    created: Type.Integer(),
    decided: Type.Integer(),
    pending: Type.Integer(),
    nextToDecide: Nullable(Type.Integer()),
    bestScore: Nullable(Type.Number()),
    bestExperimentNumber: Nullable(Type.Integer()),
    experimentsSinceLastKeep: Type.Integer(),
    baselineDecided: Type.Boolean(),
  },
  open,
);

export const StudyDetailSchema = Type.Object(
  {
    ...studyFields,
    progress: StudyProgressSchema,
    branches: Type.Array(Type.Object({
      index: Type.Integer(),
      headRevisionId: Type.String(),
      headScore: Nullable(Type.Number()),
      headExperimentId: Nullable(Type.String()),
    }, open)),
  },
  open,
);

const experimentFields = {
  id: Type.String(),
  studyId: Type.String(),
  branchId: Type.String(),
  number: Type.Integer({ description: '0 is the baseline; dense within a study.' }),
  kind: Type.String({ description: 'baseline, candidate, remeasure or adopt' }),
  parentRevisionId: Type.String(),
  candidateRevisionId: Nullable(Type.String()),
  status: Type.String({ description: 'pending or decided' }),
  outcome: Nullable(Type.String({ description: 'baseline, keep, discard, crash, timeout, invalid, stopped, early-stopped, remeasure, reverted, adopted, guard-failed or screened-out' })),
  reason: Nullable(Type.String()),
  hypothesis: Type.String(),
  variable: Nullable(Type.String()),
  description: Type.String(),
  changeKey: Nullable(Type.String()),
  edits: Json('The proposal’s search/replace edits, or null.'),
  modelUsage: Json("What proposing it cost: { model, calls, inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens, costUsd }, or null."),
  repeats: Type.Integer(),
  stageReached: Type.Integer({ description: 'The furthest stage (spec.stages, 0-based) it ran at; 0 in a study without stages.' }),
  stageVerdicts: Json('Each earlier stage\'s verdict on it ({ stage, name, rule, promoted, mean, n, headMean?, margin?, rank?, of?, untrusted?, audited?, skipped?, summary }), in stage order; a skipped stage (its screen distrusted) has mean null and n 0.'),
  score: Nullable(Type.Number()),
  peakMemoryMb: Nullable(Type.Number()),
  stats: Json('The statistics behind the decision (delta, sigma, threshold, n, p; guards: each guard\'s verdict { name, kind, passed, runs, failure? }), or null.'),
  createdAt: Timestamp(),
  decidedAt: NullableTimestamp(),
};

/** An experiment as listed: everything but its diff. */
export const ExperimentSummarySchema = Type.Object(experimentFields, open);

export const RunSchema = Type.Object(
  {
    id: Type.String(),
    studyId: Type.String(),
    experimentId: Type.String(),
    revisionId: Type.String(),
    repeatIndex: Type.Integer(),
    role: Type.String({ description: "working, holdout, confirm, or reference (a run of the head beside a candidate's adaptive repeats)" }),
    stage: Type.Integer({ description: 'The stage it runs at (spec.stages, 0-based): its budget and GPU class; 0 without stages.' }),
    attempt: Type.Integer(),
    status: Type.String({ description: 'queued, running, succeeded, crashed, timeout, stopped or lost' }),
    slot: Nullable(Type.String()),
    host: Nullable(Type.String()),
    exitCode: Nullable(Type.Integer()),
    signal: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    peakMemoryMb: Nullable(Type.Number()),
    metrics: Json('Final metric values by name, or null.'),
    logTail: Json('The last lines of output, or null.'),
    guards: Json('The command guards\' results ({ name, passed, exitCode, signal, timedOut, durationMs, reason?, outputTail }), or null.'),
    startedAt: NullableTimestamp(),
    finishedAt: NullableTimestamp(),
    heartbeatAt: NullableTimestamp(),
    createdAt: Timestamp(),
  },
  open,
);

export const ExperimentDetailSchema = Type.Object(
  {
    ...experimentFields,
    diff: Type.String({ description: 'Unified diff from the parent revision.' }),
    runs: Type.Array(RunSchema),
    outputs: Type.Optional(Type.Array(Json('A skill run’s output with every eval’s verdict.'), { description: 'Skill studies only.' })),
  },
  open,
);

export const EventSchema = Type.Object(
  { id: Type.Integer(), studyId: Nullable(Type.String()), type: Type.String(), payload: Json('What happened, by event type.'), createdAt: Timestamp() },
  open,
);

export const LogLineSchema = Type.Object(
  { id: Type.Integer(), attempt: Type.Integer(), stream: Type.String({ description: 'stdout or stderr' }), line: Type.String(), ts: Timestamp() },
  open,
);

export const MetricSchema = Type.Object(
  {
    id: Type.Integer(),
    runId: Type.String(),
    attempt: Type.Integer(),
    name: Type.String(),
    value: Type.Number(),
    step: Nullable(Type.Number()),
    kind: Type.String({ description: 'final or intermediate' }),
    ts: Timestamp(),
  },
  open,
);

/** A page of items and the cursor of the next one (null on the last page). */
export function page<T extends TSchema>(item: T, cursor: TSchema = Nullable(Type.Integer())) {
  return Type.Object({ items: Type.Array(item), nextCursor: cursor });
}
