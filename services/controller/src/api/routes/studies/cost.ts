// GET /v1/studies/:id/cost: what the study has used so far: run time and GPU-hours, and model tokens
// and dollars, summed in the database.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { StudyIdParams } from '../params.js';
import { errorResponses } from '../row-schemas.js';
import { requireStudy } from './index.js';

const StudyCostView = Type.Object({
  runs: Type.Integer({ description: 'Runs that have started (current attempts).' }),
  runHours: Type.Number({ description: 'Their wall time, a running one up to now.' }),
  gpuHours: Type.Number({ description: 'Run time × GPUs held: 1 per gpu:N slot, run.kubernetes.gpus in a pool, 0 on a CPU slot.' }),
  mutator: Type.Object({
    calls: Type.Number(),
    inputTokens: Type.Number(),
    outputTokens: Type.Number(),
    cacheCreationTokens: Type.Number(),
    cacheReadTokens: Type.Number(),
    costUsd: Type.Number(),
  }, { description: "The mutator's model usage, from each experiment's modelUsage." }),
  skillRuns: Type.Object({
    calls: Type.Number(),
    inputTokens: Type.Number(),
    outputTokens: Type.Number(),
  }, { description: "Skill studies: the target and judge models' calls made by the runs." }),
});

export const studyCostRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.get('/:id/cost', {
    schema: {
      summary: 'What a study has cost so far: GPU-hours, model tokens and USD',
      tags: ['studies'],
      params: StudyIdParams,
      response: { 200: StudyCostView, ...errorResponses },
    },
  }, async (request) => {
    const study = await requireStudy(store, request.team, request.params.id);
    return store.getStudyCost(study.id, { skill: study.spec.flavor === 'skill' });
  });
};
