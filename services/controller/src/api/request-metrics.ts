// API latency for /metrics, labelled by the route's pattern (/v1/studies/:id, never the id itself), so
// the label set stays bounded however many studies and runs there are.
import type { FastifyInstance } from 'fastify';
import type { ControllerMetrics } from '../metrics/controller-metrics.js';

export function timeRequests(app: FastifyInstance, metrics: ControllerMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
