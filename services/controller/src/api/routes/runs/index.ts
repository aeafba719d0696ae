// /v1/runs: one run's record, logs and metrics, and the assignment its agent fetches with its run token.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { RunAssignment as RunAssignmentSchema, type RunAssignment } from '../../../../../../schemas/src/messages.js';
import { buildRunAssignment } from '../../../scheduler/run-assignment.js';
import { assertStudyVisible, bearerToken, ForeignRunTokenError, sameHash, sha256Hex, type RequestTeam } from '../../auth.js';
import { NotFoundError, UnauthorizedError } from '../../../errors.js';
import { runView } from '../studies/experiments.js';
import { bindRequestToRun } from '../../request-log.js';
import { ErrorBody, errorResponses, LogLineSchema, MetricSchema, page, RunSchema } from '../row-schemas.js';

const RunIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'The run id.' }) });

export const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  // Another team's run answers like a missing one: 404, so run ids leak nothing.
  const requireRun = async (request: FastifyRequest & { team: RequestTeam | null }, reply: FastifyReply, id: string) => {
    const run = await store.getRun(id);
    if (!run) throw new NotFoundError(`run ${id}`);
    if (request.team !== null) {
      try {
        assertStudyVisible(request.team, await store.getStudy(run.studyId), run.studyId);
      } catch {
        throw new NotFoundError(`run ${id}`);
      }
    }
    bindRequestToRun(request, reply, run);
    return run;
  };

  app.get('/:id', {
    schema: { summary: 'One run: status, exit, metrics, slot, timings', tags: ['runs'], params: RunIdParams, response: { 200: RunSchema, ...errorResponses } },
  }, async (request, reply) => runView(await requireRun(request, reply, request.params.id)));

  app.get('/:id/logs', {
    schema: {
      summary: "A run's output lines, from a cursor",
      tags: ['runs'],
      params: RunIdParams,
      querystring: Type.Object({
        cursor: Type.Integer({ minimum: 0, default: 0, description: 'The last log line id already seen.' }),
        limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
      }),
      response: { 200: page(LogLineSchema), ...errorResponses },
    },
  }, async (request, reply) => {
    await requireRun(request, reply, request.params.id);
    const items = await store.getLogs(request.params.id, { afterId: request.query.cursor, limit: request.query.limit });
    return { items, nextCursor: items.length === request.query.limit ? items[items.length - 1]!.id : null };
  });

  app.get('/:id/metrics', {
    schema: {
      summary: "A run's final and intermediate metric values",
      tags: ['runs'],
      params: RunIdParams,
      querystring: Type.Object({
        kind: Type.Optional(Type.Union([Type.Literal('final'), Type.Literal('intermediate')])),
        cursor: Type.Integer({ minimum: 0, default: 0, description: 'The last metric point id already seen.' }),
        limit: Type.Integer({ minimum: 1, maximum: 20000, default: 5000 }),
      }),
      response: { 200: page(MetricSchema), ...errorResponses },
    },
  }, async (request, reply) => {
    await requireRun(request, reply, request.params.id);
    const { kind, cursor, limit } = request.query;
    const items = await store.getMetrics(request.params.id, { kind, afterId: cursor, limit });
    return { items, nextCursor: items.length === limit ? items[items.length - 1]!.id : null };
  });

  // Only the agent holding this run's token, for the attempt in progress, gets the revision: a token
  // leaked from one run opens nothing else (403, so a mixed-up agent says so plainly), and a finished
  // run's token, or no run's token, opens nothing at all (401).
  app.get('/:id/assignment', {
    schema: {
      summary: "The run and its revision, for the agent holding the run's token",
      description: 'Authorization: Bearer <run token>, not an API token. Valid only while this attempt runs.',
      tags: ['agents'],
      params: RunIdParams,
      response: { 200: RunAssignmentSchema, 401: ErrorBody, 403: ErrorBody },
    },
    // Documented, but serialized as is: the agent validates it against the same schema, strictly.
    serializerCompiler: () => (data) => JSON.stringify(data),
  }, async (request, reply): Promise<RunAssignment> => {
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedError('this route needs the run token: send Authorization: Bearer <run token>');
    const tokenHash = sha256Hex(token);
    const run = await store.getRun(request.params.id);
    if (!run || !run.tokenHash || run.status !== 'running' || !sameHash(run.tokenHash, tokenHash)) {
      const holder = await store.findRunningRunByTokenHash(tokenHash);
      if (holder && holder.id !== request.params.id) throw new ForeignRunTokenError();
      throw new UnauthorizedError('this run token is not valid for this run');
    }
    bindRequestToRun(request, reply, run);
    return buildRunAssignment(store, run, app.ctx.heartbeatSeconds);
  });
};
