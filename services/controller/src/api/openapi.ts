// The OpenAPI document, generated from the routes' own TypeBox schemas (so it cannot drift from what is
// validated and served), at /docs/json, with Swagger UI at /docs. Registered before the routes, whose
// schemas it collects as they are added. It documents the API (/v1) and the operations routes; anything
// else a plugin serves (the dashboard's files) is left out.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Routes outside /v1 that belong in the document. */
const OPERATIONS = new Set(['/healthz', '/readyz', '/metrics']);

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'autoresearch controller',
        version: '1',
        description:
          'Autonomous experiment loops as a service: studies, their experiments and runs, exports, and what agents fetch. ' +
          "Every /v1 route takes a team's API token (Authorization: Bearer), except on an embedded controller (loopback, no token); " +
          'another team’s study answers 404.',
      },
      components: {
        securitySchemes: {
          apiToken: { type: 'http', scheme: 'bearer', description: 'A team API token from `autoresearch token create`.' },
          runToken: { type: 'http', scheme: 'bearer', description: "The run-scoped token an agent is given for one run's attempt." },
        },
      },
      tags: [
        { name: 'studies', description: 'Create, list, inspect, stop and resume studies' },
        { name: 'experiments', description: 'Every experiment with its change, decision and runs' },
        { name: 'runs', description: 'One run: its record, output lines and metrics' },
        { name: 'exports', description: 'results.tsv, changelog.md, the best files (and a skill study’s results.json and report.md)' },
        { name: 'agents', description: 'What an agent fetches with its run token' },
        { name: 'operations', description: 'Health, readiness and Prometheus metrics (no token)' },
      ],
    },
    transform: ({ schema, url: routeUrl }) => {
      // A plugin's `/` route under a prefix is served with and without the slash; it is documented without.
      const url = routeUrl.replace(/(.)\/$/, '$1');
      if (!url.startsWith('/v1/') && !OPERATIONS.has(url)) return { schema: { ...schema, hide: true }, url };
      if (!url.startsWith('/v1/')) return { schema, url };
      const security = url.endsWith('/assignment') ? [{ runToken: [] }] : [{ apiToken: [] }];
      return { schema: { ...schema, security } as typeof schema, url };
    },
  });
  // /docs and its assets are outside /v1, so no token is asked for; the UI's files live under /docs/static.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
