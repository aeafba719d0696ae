// GET /v1/studies/:id/eval-rates: a skill study's passes per eval, experiment by experiment, so the
// dashboard can show each eval's pass rate over time.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConflictError } from '../../../errors.js';
import { Nullable } from '../nullable.js';
import { StudyIdParams } from '../params.js';
import { ErrorBody, errorResponses } from '../row-schemas.js';
import { requireStudy } from './index.js';

const EvalRatesQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 5000 }),
  cursor: Type.Optional(Type.Integer({ minimum: -1, description: 'The last experiment number of the previous page.' })),
});

const EvalRatesPage = Type.Object({
  evals: Type.Array(Type.String(), { description: "The study's evals, in the spec's order." }),
  items: Type.Array(Type.Object({
    number: Type.Integer(),
    outcome: Nullable(Type.String()),
    runs: Type.Integer({ description: 'Working runs that ended: each is one trial of every eval (a failed run fails them all).' }),
    passes: Type.Record(Type.String(), Type.Integer(), { description: 'Passes per eval name.' }),
  })),
  nextCursor: Nullable(Type.Integer()),
});

export const studyEvalRatesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.get('/:id/eval-rates', {
    schema: {
      summary: "A skill study's passes per eval, experiment by experiment",
      tags: ['studies'],
      params: StudyIdParams,
      querystring: EvalRatesQuery,
      response: { 200: EvalRatesPage, ...errorResponses, 409: ErrorBody },
    },
  }, async (request) => {
    const study = await requireStudy(store, request.team, request.params.id);
    if (study.spec.flavor !== 'skill' || !study.spec.skill) throw new ConflictError(`study ${study.id} is a ${study.spec.flavor} study: only skill studies have evals`);
    const { limit, cursor } = request.query;
    const items = await store.listSkillEvalRates(study.id, { afterNumber: cursor, limit });
    return {
      evals: study.spec.skill.evals.map((e) => e.name),
      items,
      nextCursor: items.length === limit ? items[items.length - 1]!.number : null,
    };
  });
};
