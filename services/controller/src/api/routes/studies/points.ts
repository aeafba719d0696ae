// GET /v1/studies/:id/points: the score chart's data for every experiment, as columns. One page holds a
// study of 20,000 experiments; the cursor exists so that no study is ever unbounded.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Nullable } from '../nullable.js';
import { StudyIdParams } from '../params.js';
import { errorResponses } from '../row-schemas.js';
import { requireStudy } from './index.js';

const MAX_POINTS_PAGE = 50_000;

const PointsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MAX_POINTS_PAGE, default: MAX_POINTS_PAGE }),
  cursor: Type.Optional(Type.Integer({ minimum: -1, description: 'The last experiment number of the previous page; -1 or absent for the first.' })),
});

const StudyPointsPage = Type.Object({
  number: Type.Array(Type.Integer()),
  branch: Type.Array(Type.Integer(), { description: "The experiment's branch index." }),
  outcome: Type.Array(Nullable(Type.String()), { description: 'keep, discard, crash, …; null while pending.' }),
  score: Type.Array(Nullable(Type.Number())),
  decidedAt: Type.Array(Nullable(Type.Number()), { description: 'Milliseconds since the epoch; null while pending.' }),
  description: Type.Array(Type.String(), { description: 'The change, cut to 120 characters.' }),
  nextCursor: Nullable(Type.Integer({ description: 'Pass as cursor for the next page; null on the last.' })),
  lastEventId: Type.Integer({
    description: "The study's newest event when the page was read: follow /v1/studies/:id/stream?after=lastEventId to miss nothing.",
  }),
});

export const studyPointsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.get('/:id/points', {
    schema: {
      summary: "A study's experiments as chart columns (number, branch, outcome, score, decidedAt, description)",
      tags: ['studies'],
      params: StudyIdParams,
      querystring: PointsQuery,
      response: { 200: StudyPointsPage, ...errorResponses },
    },
  }, async (request) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const { limit, cursor } = request.query;
    // Read before the points, so that an event committed in between is streamed rather than missed.
    const lastEventId = await store.latestEventId(study.id);
    const points = await store.listStudyPoints(study.id, { afterNumber: cursor, limit });
    const count = points.number.length;
    return { ...points, nextCursor: count === limit ? points.number[count - 1]! : null, lastEventId };
  });
};
