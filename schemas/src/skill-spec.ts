// The `skill` section of a study spec (flavor: skill): the prompt being improved, the test inputs, the
// binary evals that score each output, and the models that write and judge. Kept apart from the training
// parts of the spec; study-spec.ts embeds it.
import { Type, type Static } from '@sinclair/typebox';

/** The most evals a skill study may have: past six, a skill starts gaming them instead of improving. */
export const MAX_EVALS = 6;
export const MIN_EVALS = 3;

export const EvalName = Type.String({
  pattern: '^[a-z][a-z0-9_-]{0,62}$',
  patternDescription: 'a short lowercase name of letters, digits, _ and -, starting with a letter, such as no-numbered-lists',
  description: 'Names the eval in results, metrics (eval.<name>) and the changelog.',
});

const evalBase = {
  name: EvalName,
  description: Type.Optional(Type.String({ maxLength: 1000, description: 'What the eval checks and why the user cares, for the changelog.' })),
};

/** A regular expression (JavaScript syntax) that the output must, or must not, match. */
export const RegexEval = Type.Object(
  {
    ...evalBase,
    kind: Type.Literal('regex'),
    pattern: Type.String({ minLength: 1, maxLength: 2000 }),
    flags: Type.String({ pattern: '^[imsu]*$', patternDescription: 'flags among i, m, s and u', default: '' }),
    mustMatch: Type.Boolean({ default: true, description: 'true: pass when it matches; false: pass when it does not.' }),
  },
  { additionalProperties: false },
);

/** The output contains, or contains none of, the listed strings. */
export const ContainsEval = Type.Object(
  {
    ...evalBase,
    kind: Type.Literal('contains'),
    any: Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), { minItems: 1, maxItems: 100 }),
    mustContain: Type.Boolean({ default: true, description: 'true: pass when any of them occurs; false: pass when none does.' }),
    caseSensitive: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

/** The output's length in words or characters lies within bounds (at least one bound is required). */
export const LengthEval = Type.Object(
  {
    ...evalBase,
    kind: Type.Literal('length'),
    unit: Type.Union([Type.Literal('words'), Type.Literal('characters')], { default: 'words' }),
    min: Type.Optional(Type.Integer({ minimum: 0 })),
    max: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/** The output is valid JSON, and matches a JSON Schema when one is given (inline or as a workspace file). */
export const JsonEval = Type.Object(
  {
    ...evalBase,
    kind: Type.Literal('json'),
    schema: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'An inline JSON Schema.' })),
    schemaFile: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'A JSON Schema file in the workspace.' })),
  },
  { additionalProperties: false },
);

/**
 * A JavaScript module in the workspace whose default export takes (output, input) and returns true or
 * false, or { pass, evidence }. It runs on the agent in its own process, with the experiment's environment.
 */
export const PredicateEval = Type.Object(
  {
    ...evalBase,
    kind: Type.Literal('predicate'),
    module: Type.String({ minLength: 1, maxLength: 512, description: 'A .js or .mjs file in the workspace, relative to the study folder.' }),
  },
  { additionalProperties: false },
);

/**
 * A yes/no question a separate model call answers about the output. The judge must quote evidence from
 * the output; a verdict without evidence found in the output is a fail.
 */
export const JudgeEval = Type.Object(
  {
    ...evalBase,
    kind: Type.Literal('judge'),
    question: Type.String({ minLength: 1, maxLength: 2000, description: 'A yes/no question about the output; yes means pass.' }),
    pass: Type.String({ minLength: 1, maxLength: 2000, description: 'The pass condition: what a passing output does.' }),
    fail: Type.String({ minLength: 1, maxLength: 2000, description: 'The fail condition: what a failing output does.' }),
  },
  { additionalProperties: false },
);

export const SkillEval = Type.Union([RegexEval, ContainsEval, LengthEval, JsonEval, PredicateEval, JudgeEval]);

/** One test input: its text inline, or a file of the workspace (read-only). */
export const SkillInput = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$',
      patternDescription: 'a short name of letters, digits, _ . and -',
    }),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000 })),
    file: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const SkillModel = (defaultModel: string, defaultMaxTokens: number) =>
  Type.Object(
    {
      model: Type.String({ minLength: 1, maxLength: 200, default: defaultModel }),
      maxTokens: Type.Integer({ minimum: 16, maximum: 64000, default: defaultMaxTokens }),
      temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    },
    { additionalProperties: false, default: {} },
  );

export const Skill = Type.Object(
  {
    file: Type.String({ minLength: 1, maxLength: 512, description: 'The skill (for example SKILL.md): the system prompt, and the only mutable file.' }),
    inputs: Type.Object(
      {
        working: Type.Array(SkillInput, { minItems: 1, maxItems: 100, description: 'Inputs every experiment runs on.' }),
        holdout: Type.Array(SkillInput, {
          maxItems: 100,
          default: [],
          description: 'Inputs run only at the baseline and at the end, to show whether an improvement generalizes.',
        }),
      },
      { additionalProperties: false },
    ),
    evals: Type.Array(SkillEval, { minItems: MIN_EVALS, maxItems: MAX_EVALS }),
    target: SkillModel('claude-haiku-4-5', 4000),
    judge: SkillModel('claude-sonnet-4-6', 1000),
    holdoutRuns: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'Runs on the holdout inputs at the baseline and at the end (default: repeats).' }),
    ),
    modelConcurrency: Type.Integer({ minimum: 1, maximum: 64, default: 4, description: 'Model calls one run makes at once (its judge calls).' }),
    retries: Type.Integer({
      minimum: 0, maximum: 10, default: 3,
      description: 'Retries of a failed model call or an invalid judge verdict before the run counts as failed.',
    }),
    judgeConsistency: Type.Optional(
      Type.Object(
        {
          sample: Type.Number({
            exclusiveMinimum: 0, maximum: 1, default: 0.2,
            description: 'The fraction of runs whose judge evals are judged twice, to report how often the verdicts agree.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type SkillSpec = Static<typeof Skill>;
export type SkillEvalSpec = Static<typeof SkillEval>;
export type JudgeEvalSpec = Static<typeof JudgeEval>;
export type SkillInputSpec = Static<typeof SkillInput>;
export type SkillModelSpec = Static<ReturnType<typeof SkillModel>>;
