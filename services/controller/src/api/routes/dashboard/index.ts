// The dashboard: its built files served at / (the only HTML route: the pages route by hash). Open in
// every mode: the page itself holds nothing, and it asks for a token when the /v1 API answers 401.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { distOf, findDashboardRoot, hasSources, isBuildStale } from '../../../../../dashboard/dashboard-files.js';

/**
 * The page may load only its own script and styles and talk only to this origin; uPlot and the pages set
 * styles from script, which CSP allows. Nothing a study records (a hypothesis, a log line, a skill's
 * output) can run as script: the pages write it as text.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const dist = await builtDashboard(app.log);
  if (!dist) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.status(503).type('text/plain').send('The dashboard is not built: run `npm run build` (it needs esbuild, a development dependency).\n'));
    return;
  }
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    // One route per built file rather than a catch-all, so unknown paths stay the API's 404s.
    wildcard: false,
    decorateReply: false,
    index: ['index.html'],
    // The files keep their names from build to build: the browser revalidates (ETag) on each load.
    cacheControl: false,
    setHeaders: (response, path) => {
      response.setHeader('cache-control', 'no-cache');
      if (path.endsWith('.html')) {
        response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
        response.setHeader('x-content-type-options', 'nosniff');
      }
    },
  });
};

/**
 * The built dashboard's folder, building it first when it is missing or older than its sources (running
 * from a checkout under tsx, where `npm run build` may never have run). Null when there is none to serve.
 */
async function builtDashboard(log: FastifyBaseLogger): Promise<string | null> {
  const root = findDashboardRoot(import.meta.url);
  if (!root) return null;
  if (hasSources(root) && (await isBuildStale(root))) {
    try {
      const { buildDashboard } = await import('../../../../../dashboard/build.js');
      await buildDashboard(root);
    } catch (error) {
      log.warn({ err: error }, 'the dashboard could not be built; serving the last build, if any');
    }
  }
  const dist = distOf(root);
  return (await stat(join(dist, 'index.html')).catch(() => null)) ? dist : null;
}
