// GET /v1/studies/:id/stream: the study's events as server-sent events, live. The dashboard reads it with
// fetch() so that it can send its token in the Authorization header rather than in the URL.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { endStreamsOnClose, EventStreamResponse, serveEventStream, StreamQuery, streamStart } from '../../event-stream.js';
import { StudyIdParams } from '../params.js';
import { errorResponses } from '../row-schemas.js';
import { requireStudy } from './index.js';

export const studyStreamRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;
  const open = endStreamsOnClose(app);

  app.get('/:id/stream', {
    schema: {
      summary: "A study's events, live, as server-sent events (text/event-stream); resumable with Last-Event-ID",
      tags: ['studies'],
      params: StudyIdParams,
      querystring: StreamQuery,
      response: { 200: EventStreamResponse, ...errorResponses },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const startAfter = await streamStart(request, request.query.after, () => store.latestEventId(study.id));
    return serveEventStream(request, reply, {
      startAfter,
      read: (afterId, limit) => store.listEvents(study.id, { afterId, limit }),
      open,
    });
  });
};
