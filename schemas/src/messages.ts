// Messages between an agent and the controller. Both sides validate against these definitions;
// the JSON Schemas under schemas/json/ let an agent in another language be checked too.
import { Type, type Static } from '@sinclair/typebox';
import { SkillEval, SkillModel } from './skill-spec.js';

const RunRef = {
  runId: Type.String({ minLength: 1, maxLength: 64 }),
  attempt: Type.Integer({ minimum: 1 }),
};

export const LogLine = Type.Object(
  {
    ts: Type.Number({ description: 'Milliseconds since the epoch.' }),
    stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr'), Type.Literal('agent')]),
    line: Type.String({ maxLength: 16384 }),
  },
  { additionalProperties: false },
);

export const MetricPoint = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    value: Type.Number(),
    step: Type.Optional(Type.Number()),
    ts: Type.Number(),
  },
  { additionalProperties: false },
);

/** A batch of log lines: agents batch them so a chatty script does not flood the transport. */
export const LogMessage = Type.Object(
  { type: Type.Literal('log'), ...RunRef, lines: Type.Array(LogLine, { maxItems: 1000 }) },
  { additionalProperties: false },
);

/** Intermediate metrics seen while the run is still going. */
export const ProgressMessage = Type.Object(
  { type: Type.Literal('progress'), ...RunRef, points: Type.Array(MetricPoint, { maxItems: 1000 }) },
  { additionalProperties: false },
);

export const HeartbeatMessage = Type.Object(
  { type: Type.Literal('heartbeat'), ...RunRef, ts: Type.Number() },
  { additionalProperties: false },
);

export const StartedMessage = Type.Object(
  { type: Type.Literal('started'), ...RunRef, ts: Type.Number(), host: Type.String() },
  { additionalProperties: false },
);

export const RunStatus = Type.Union(
  [
    Type.Literal('succeeded'),
    Type.Literal('crashed'),
    Type.Literal('timeout'),
    Type.Literal('stopped'),
  ],
  {
    description:
      'succeeded: exit 0 and the objective metric was read; crashed: non-zero exit, a signal, or no metric; ' +
      'timeout: killed after budget plus grace; stopped: stopped on request.',
  },
);

/** One eval's verdict on one output. `pass` is true only for a verified pass: no evidence, no pass. */
export const EvalVerdict = Type.Object(
  {
    eval: Type.String({ maxLength: 64 }),
    pass: Type.Boolean(),
    /** A quote from the output (judge evals), or what the code eval found. */
    evidence: Type.String({ maxLength: 2000 }),
    /** Why it failed, or why no verdict could be had (an invalid judge answer, a model error). */
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    /** The second judgement of a judge-consistency sample. */
    second: Type.Optional(Type.Object({ pass: Type.Boolean(), evidence: Type.String({ maxLength: 2000 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

/** What a skill run produced: the output for its input, and every eval's verdict on it. */
export const SkillRunReport = Type.Object(
  {
    input: Type.String({ maxLength: 64 }),
    holdout: Type.Boolean(),
    /** The target model's output (truncated past the limit); empty when the model call failed. */
    output: Type.String({ maxLength: 65536 }),
    verdicts: Type.Array(EvalVerdict, { maxItems: 6 }),
    /** Model calls made by this run, target and judge, retries included. */
    modelCalls: Type.Integer({ minimum: 0 }),
    inputTokens: Type.Integer({ minimum: 0 }),
    outputTokens: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** Lines of a guard's output kept in its result, and the length each is cut to: bounded, so a result stays small. */
export const GUARD_TAIL_LINES = 50;
export const GUARD_TAIL_LINE_CHARS = 1000;

/** What one command guard did after a successful run. */
export const GuardResult = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    passed: Type.Boolean({ description: 'Exit code 0 within its timeout.' }),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    timedOut: Type.Boolean(),
    durationMs: Type.Number({ minimum: 0 }),
    /** Why it failed, in words: `exit code 1`, `did not finish within 60 s`, `not run: ...`. */
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    /** The last lines of its output, stdout and stderr interleaved. */
    outputTail: Type.Array(Type.String({ maxLength: GUARD_TAIL_LINE_CHARS }), { maxItems: GUARD_TAIL_LINES }),
  },
  { additionalProperties: false },
);

/** The final word on one attempt of a run. Ingested idempotently by (runId, attempt). */
export const ResultMessage = Type.Object(
  {
    type: Type.Literal('result'),
    ...RunRef,
    status: RunStatus,
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.Number(),
    finishedAt: Type.Number(),
    peakMemoryMb: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    metrics: Type.Record(Type.String(), Type.Number()),
    logTail: Type.Array(Type.String(), { maxItems: 200 }),
    skill: Type.Optional(SkillRunReport),
    /** The command guards, in the spec's order, when the run succeeded and the study declares any. */
    guards: Type.Optional(Type.Array(GuardResult, { maxItems: 8 })),
  },
  { additionalProperties: false },
);

export const AgentMessage = Type.Union([LogMessage, ProgressMessage, HeartbeatMessage, StartedMessage, ResultMessage], {
  $id: 'https://autoresearch.dev/schemas/agent-message.json',
  title: 'A message from an agent to the controller',
});

/** From the controller to one agent. */
export const ControlMessage = Type.Object(
  {
    type: Type.Literal('control'),
    ...RunRef,
    action: Type.Union([Type.Literal('stop'), Type.Literal('early-stop')]),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  {
    additionalProperties: false,
    $id: 'https://autoresearch.dev/schemas/control-message.json',
    title: 'A message from the controller to one agent',
  },
);

/**
 * A skill run instead of a command: the skill file of the revision as the system prompt, one input as the
 * user message, one output, scored by every eval.
 */
export const SkillAssignment = Type.Object(
  {
    file: Type.String({ description: 'The skill file among `files`.' }),
    input: Type.Object({ name: Type.String(), text: Type.String(), holdout: Type.Boolean() }, { additionalProperties: false }),
    evals: Type.Array(SkillEval, { maxItems: 6 }),
    target: SkillModel('claude-haiku-4-5', 4000),
    judge: SkillModel('claude-sonnet-4-6', 1000),
    modelConcurrency: Type.Integer({ minimum: 1 }),
    retries: Type.Integer({ minimum: 0 }),
    /** Judge every judge eval twice (a judge-consistency sample). */
    judgeTwice: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** What GET /v1/runs/:id/revision answers an agent holding that run's token. */
export const RunAssignment = Type.Object(
  {
    runId: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    revisionId: Type.String(),
    command: Type.String(),
    budgetSeconds: Type.Number(),
    graceSeconds: Type.Number(),
    objectiveMetric: Type.String({ description: 'A run without this metric is a crash.' }),
    heartbeatSeconds: Type.Number({ exclusiveMinimum: 0 }),
    env: Type.Record(Type.String(), Type.String()),
    metrics: Type.Object({
      source: Type.String(),
      pattern: Type.Optional(Type.String()),
      file: Type.Optional(Type.String()),
    }),
    files: Type.Array(
      Type.Object({
        path: Type.String(),
        mode: Type.Integer(),
        contentBase64: Type.String(),
      }),
    ),
    skill: Type.Optional(SkillAssignment),
    /** Command guards to run, in order, after the command succeeded and its metric was read. */
    guards: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64 }),
            command: Type.String({ minLength: 1 }),
            timeoutSeconds: Type.Number({ exclusiveMinimum: 0 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 8 },
      ),
    ),
  },
  { $id: 'https://autoresearch.dev/schemas/run-assignment.json', title: 'A run and its revision, as an agent fetches it' },
);

export type LogLine = Static<typeof LogLine>;
export type MetricPoint = Static<typeof MetricPoint>;
export type LogMessage = Static<typeof LogMessage>;
export type ProgressMessage = Static<typeof ProgressMessage>;
export type HeartbeatMessage = Static<typeof HeartbeatMessage>;
export type StartedMessage = Static<typeof StartedMessage>;
export type ResultMessage = Static<typeof ResultMessage>;
export type RunStatus = Static<typeof RunStatus>;
export type AgentMessage = Static<typeof AgentMessage>;
export type ControlMessage = Static<typeof ControlMessage>;
export type RunAssignment = Static<typeof RunAssignment>;
export type SkillAssignment = Static<typeof SkillAssignment>;
export type SkillRunReport = Static<typeof SkillRunReport>;
export type EvalVerdict = Static<typeof EvalVerdict>;
export type GuardResult = Static<typeof GuardResult>;
export type GuardAssignment = NonNullable<RunAssignment['guards']>[number];
