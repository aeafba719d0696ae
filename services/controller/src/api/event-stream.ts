// Server-sent events (text/event-stream) that follow the event log. Postgres is the truth, so each stream
// polls the log after the last id it sent: the same code serves one controller or several sharing a
// database, and a client that reconnects with Last-Event-ID misses nothing and sees nothing twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventRow } from '../store/schema.js';

/** How often an idle stream asks the log for news: the dashboard's live latency. */
export const EVENT_POLL_MS = 500;
/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;
/** Events per read; a backlog is sent page after page without waiting. */
const PAGE = 500;

export const StreamQuery = Type.Object({
  after: Type.Optional(Type.Integer({
    minimum: 0,
    description: 'Send the events after this id (0: all of them). Default: only new ones. A Last-Event-ID header takes precedence.',
  })),
});

/** How the OpenAPI document shows a stream: its media type and the shape of each event's data. */
export const EventStreamResponse = {
  description:
    'Server-sent events, one per event of the log: `id` (the event id, for Last-Event-ID), `event` (its type, e.g. experiment.decided) ' +
    'and `data`, a JSON object { id, studyId, type, payload, createdAt }. Comment lines keep a quiet stream open.',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};

export type ReadEventsAfter = (afterId: number, limit: number) => Promise<EventRow[]>;

/** Where a stream starts: after Last-Event-ID (a reconnection), else after `?after=`, else after `latest`. */
export function streamStart(request: FastifyRequest, after: number | undefined, latest: () => Promise<number>): Promise<number> {
  const header = request.headers['last-event-id'];
  const resumed = typeof header === 'string' && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : undefined;
  const start = resumed ?? after;
  return start === undefined ? latest() : Promise.resolve(start);
}

export function formatEvent(event: EventRow): string {
  const data = JSON.stringify({ id: event.id, studyId: event.studyId, type: event.type, payload: event.payload, createdAt: event.createdAt });
  // A type is a plain dotted word; anything else could break the framing, so it is left to `data`.
  const name = /^[\w.-]+$/.test(event.type) ? `event: ${event.type}\n` : '';
  return `id: ${event.id}\n${name}data: ${data}\n\n`;
}

/**
 * Registers the shutdown hook that ends every open stream: a stream never ends by itself, and the server
 * cannot close while a response is still open. Call once per plugin that serves streams.
 */
export function endStreamsOnClose(app: FastifyInstance): Set<() => void> {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  return open;
}

/**
 * Takes the reply over and streams events after `startAfter` until the client goes or the server closes.
 * A failing read (the database restarting) is logged and retried on the next poll; the stream stays open.
 */
export function serveEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { startAfter: number; read: ReadEventsAfter; open: Set<() => void> },
): FastifyReply {
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and its kin would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  const stop = new AbortController();
  const end = () => {
    if (stop.signal.aborted) return;
    stop.abort();
    options.open.delete(end);
    response.end();
  };
  options.open.add(end);
  request.raw.on('close', end);
  response.on('error', end);
  // The reconnection delay an EventSource would use, and a first byte so the client knows it is connected.
  response.write('retry: 2000\n: connected\n\n');
  void (async () => {
    let last = options.startAfter;
    let lastWrite = Date.now();
    while (!stop.signal.aborted) {
      try {
        const events = await options.read(last, PAGE);
        if (stop.signal.aborted) break;
        if (events.length > 0) {
          response.write(events.map(formatEvent).join(''));
          last = events[events.length - 1]!.id;
          lastWrite = Date.now();
          if (events.length === PAGE) continue;
        }
      } catch (error) {
        request.log.warn({ err: error }, 'event stream: reading the event log failed; trying again');
      }
      if (Date.now() - lastWrite >= KEEP_ALIVE_MS) {
        response.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await sleep(EVENT_POLL_MS, undefined, { signal: stop.signal }).catch(() => {});
    }
  })();
  return reply;
}
