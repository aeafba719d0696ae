import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Health = Type.Object({ ok: Type.Boolean(), message: Type.Optional(Type.String()) });

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: { summary: 'Liveness: the process answers', tags: ['operations'], response: { 200: Health } },
  }, async () => ({ ok: true }));
  // Ready means the database answers: without it the controller can decide nothing.
  app.get('/readyz', {
    schema: { summary: 'Readiness: the database answers', tags: ['operations'], response: { 200: Health, 503: Health } },
  }, async (_request, reply) => {
    try {
      await app.ctx.store.listStudies({ limit: 1 });
      return { ok: true };
    } catch (error) {
      return reply.status(503).send({ ok: false, message: (error as Error).message });
    }
  });
};
