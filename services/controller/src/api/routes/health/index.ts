import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', async () => ({ ok: true }));
  // Ready means the database answers: without it the controller can decide nothing.
  app.get('/readyz', async (_request, reply) => {
    try {
      await app.ctx.store.listStudies({ limit: 1 });
      return { ok: true };
    } catch (error) {
      return reply.status(503).send({ ok: false, message: (error as Error).message });
    }
  });
};
