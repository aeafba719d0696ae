// Builds the Fastify application: plugins and routes, never `listen` (server.ts owns the process).
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authenticate, type AuthConfig } from './api/auth.js';
import { handleError } from './api/error-handler.js';
import { registerOpenApi } from './api/openapi.js';
import { requestChildLogger } from './api/request-log.js';
import { timeRequests } from './api/request-metrics.js';
import { healthRoutes } from './api/routes/health/index.js';
import { metricsRoutes } from './api/routes/metrics/index.js';
import type { StudySpec } from '../../../schemas/src/study-spec.js';
import type { ControllerMetrics } from './metrics/controller-metrics.js';
import { runRoutes } from './api/routes/runs/index.js';
import { studyRoutes } from './api/routes/studies/index.js';
import { experimentRoutes } from './api/routes/studies/experiments.js';
import { exportRoutes } from './api/routes/studies/exports.js';
import { dashboardRoutes } from './api/routes/dashboard/index.js';
import { queueRoutes } from './api/routes/queue/index.js';
import { streamRoutes } from './api/routes/stream/index.js';
import { studyCostRoutes } from './api/routes/studies/cost.js';
import { studyEvalRatesRoutes } from './api/routes/studies/eval-rates.js';
import { studyPointsRoutes } from './api/routes/studies/points.js';
import { studyStreamRoutes } from './api/routes/studies/stream.js';
import type { Executor } from './executors/executor.js';
import type { Scheduler } from './scheduler/scheduler.js';
import type { Store } from './store/store.js';

export interface AppContext {
  store: Store;
  /** Null for a read-only view of a database (for example `status` on a stopped study). */
  scheduler: Scheduler | null;
  auth: AuthConfig;
  /** How often agents send heartbeats; well inside the timeout after which a silent run is lost. */
  heartbeatSeconds?: number;
  metrics: ControllerMetrics;
  /** Checks a new study's spec against where this controller runs studies; throws InvalidInputError. */
  admitSpec?: (spec: StudySpec) => void;
  /** Where this controller runs work, for the queue page's slots (absent on a read-only view). */
  executor?: Executor;
  /** This controller's name, which its runs' `host` records: tells its slots from other replicas'. */
  controllerId?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}

/** Uploaded workspaces are bounded; a larger body is refused with 413 before it is read. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Routes an agent calls with its run token rather than an API token. */
const RUN_TOKEN_ROUTE = /^\/v1\/runs\/[^/]+\/assignment$/;

export async function buildApp(ctx: AppContext, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: MAX_BODY_BYTES, childLoggerFactory: requestChildLogger, ...options }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('ctx', ctx);
  app.setErrorHandler(handleError);
  app.decorateRequest('team', null);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if ((path === '/v1' || path.startsWith('/v1/')) && !RUN_TOKEN_ROUTE.test(path)) {
      request.team = await authenticate(ctx.auth, request);
    }
  });
  timeRequests(app, ctx.metrics);
  // Before the routes: it documents each one as it is added.
  await registerOpenApi(app);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(studyRoutes, { prefix: '/v1/studies' });
  await app.register(experimentRoutes, { prefix: '/v1/studies' });
  await app.register(exportRoutes, { prefix: '/v1/studies' });
  await app.register(runRoutes, { prefix: '/v1/runs' });
  // The dashboard (served at /) and what it reads live: chart columns, cost, eval rates, the queue, SSE.
  await app.register(studyPointsRoutes, { prefix: '/v1/studies' });
  await app.register(studyCostRoutes, { prefix: '/v1/studies' });
  await app.register(studyEvalRatesRoutes, { prefix: '/v1/studies' });
  await app.register(studyStreamRoutes, { prefix: '/v1/studies' });
  await app.register(streamRoutes, { prefix: '/v1/stream' });
  await app.register(queueRoutes, { prefix: '/v1/queue' });
  await app.register(dashboardRoutes);
  return app;
}
