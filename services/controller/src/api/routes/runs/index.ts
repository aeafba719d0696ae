// /v1/runs: one run's record, logs and metrics, and the assignment its agent fetches with its run token.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RunAssignment } from '../../../../../../schemas/src/messages.js';
import { buildRunAssignment } from '../../../scheduler/run-assignment.js';
import { assertStudyVisible, bearerToken, ForeignRunTokenError, sameHash, sha256Hex, type RequestTeam } from '../../auth.js';
import { NotFoundError, UnauthorizedError } from '../../../errors.js';
import { runView } from '../studies/experiments.js';

const RunIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  // Another team's run answers like a missing one: 404, so run ids leak nothing.
  const requireRun = async (team: RequestTeam | null, id: string) => {
    const run = await store.getRun(id);
    if (!run) throw new NotFoundError(`run ${id}`);
    if (team !== null) {
      try {
        assertStudyVisible(team, await store.getStudy(run.studyId), run.studyId);
      } catch {
        throw new NotFoundError(`run ${id}`);
      }
    }
    return run;
  };

  app.get('/:id', { schema: { params: RunIdParams } }, async (request) => runView(await requireRun(request.team, request.params.id)));

  app.get('/:id/logs', {
    schema: {
      params: RunIdParams,
      querystring: Type.Object({
        cursor: Type.Integer({ minimum: 0, default: 0, description: 'The last log line id already seen.' }),
        limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
      }),
    },
  }, async (request) => {
    await requireRun(request.team, request.params.id);
    const items = await store.getLogs(request.params.id, { afterId: request.query.cursor, limit: request.query.limit });
    return { items, nextCursor: items.length === request.query.limit ? items[items.length - 1]!.id : null };
  });

  app.get('/:id/metrics', {
    schema: {
      params: RunIdParams,
      querystring: Type.Object({ kind: Type.Optional(Type.Union([Type.Literal('final'), Type.Literal('intermediate')])) }),
    },
  }, async (request) => {
    await requireRun(request.team, request.params.id);
    return { items: await store.getMetrics(request.params.id, { kind: request.query.kind }) };
  });

  // Only the agent holding this run's token, for the attempt in progress, gets the revision: a token
  // leaked from one run opens nothing else (403, so a mixed-up agent says so plainly), and a finished
  // run's token, or no run's token, opens nothing at all (401).
  app.get('/:id/assignment', { schema: { params: RunIdParams } }, async (request): Promise<RunAssignment> => {
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedError('this route needs the run token: send Authorization: Bearer <run token>');
    const tokenHash = sha256Hex(token);
    const run = await store.getRun(request.params.id);
    if (!run || !run.tokenHash || run.status !== 'running' || !sameHash(run.tokenHash, tokenHash)) {
      const holder = await store.findRunningRunByTokenHash(tokenHash);
      if (holder && holder.id !== request.params.id) throw new ForeignRunTokenError();
      throw new UnauthorizedError('this run token is not valid for this run');
    }
    return buildRunAssignment(store, run, app.ctx.heartbeatSeconds);
  });
};
