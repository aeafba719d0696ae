// /v1/studies/:id/experiments: the record of every experiment, with its diff and runs (and a skill
// experiment's outputs, each with every eval's verdict and evidence).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NotFoundError } from '../../../errors.js';
import type { RunRow } from '../../../store/schema.js';
import { StudyIdParams } from '../params.js';
import { errorResponses, ExperimentDetailSchema, ExperimentSummarySchema, page } from '../row-schemas.js';
import { requireStudy } from './index.js';

export function runView(run: RunRow) {
  const { tokenHash: _tokenHash, ...rest } = run;
  return rest;
}

export const experimentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.get('/:id/experiments', {
    schema: {
      summary: "A study's experiments in number order, without their diffs (cursor-paginated)",
      tags: ['experiments'],
      params: StudyIdParams,
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        cursor: Type.Optional(Type.Integer({ minimum: -1, description: 'The last experiment number of the previous page.' })),
        status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('decided')])),
      }),
      response: { 200: page(ExperimentSummarySchema), ...errorResponses },
    },
  }, async (request) => {
    await requireStudy(store, request.team, request.params.id);
    const { limit, cursor, status } = request.query;
    const items = await store.listExperiments(request.params.id, { limit, afterNumber: cursor, status });
    return {
      items: items.map(({ diff: _diff, ...rest }) => rest),
      nextCursor: items.length === limit ? items[items.length - 1]!.number : null,
    };
  });

  app.get('/:id/experiments/:number', {
    schema: {
      summary: 'One experiment with its diff and runs (and, for a skill study, its outputs and verdicts)',
      tags: ['experiments'],
      params: Type.Object({
        id: Type.String({ minLength: 1, description: 'The study id.' }),
        number: Type.Integer({ minimum: 0, description: 'The experiment number; 0 is the baseline.' }),
      }),
      response: { 200: ExperimentDetailSchema, ...errorResponses },
    },
  }, async (request) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const experiment = await store.getExperimentByNumber(request.params.id, request.params.number);
    if (!experiment) throw new NotFoundError(`experiment ${request.params.number} of study ${request.params.id}`);
    const runs = await store.listRuns(experiment.id);
    const outputs = study.spec.flavor === 'skill' ? await store.listSkillOutputs({ studyId: study.id, experimentIds: [experiment.id] }) : undefined;
    return { ...experiment, runs: runs.map(runView), ...(outputs && { outputs }) };
  });
};
