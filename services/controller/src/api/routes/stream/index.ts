// GET /v1/stream: the events of every study the caller may see (its team's, or all of them on an open
// embedded controller), live, as server-sent events: what the study list and the queue page follow.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { endStreamsOnClose, EventStreamResponse, serveEventStream, StreamQuery, streamStart } from '../../event-stream.js';
import { errorResponses } from '../row-schemas.js';

export const streamRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;
  const open = endStreamsOnClose(app);

  app.get('/', {
    schema: {
      summary: "Every visible study's events, live, as server-sent events (text/event-stream); resumable with Last-Event-ID",
      tags: ['events'],
      querystring: StreamQuery,
      response: { 200: EventStreamResponse, ...errorResponses },
    },
  }, async (request, reply) => {
    const { team } = request;
    const startAfter = await streamStart(request, request.query.after, () => store.latestEventId());
    return serveEventStream(request, reply, {
      startAfter,
      read: (afterId, limit) => (team ? store.listTeamEvents(team.id, { afterId, limit }) : store.listAllEvents({ afterId, limit })),
      open,
    });
  });
};
