// GET /metrics: Prometheus text format, for scraping inside the cluster (like /healthz, outside /v1).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/metrics', async (_request, reply) => {
    const { registry } = app.ctx.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
