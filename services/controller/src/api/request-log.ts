// Fastify's request log lines, bound to what the request is about: a study route's lines carry its
// studyId (from the first line, "incoming request", on), and a run route's its run, experiment and study
// ids once the run is found, like every other line about a run (log-context.ts).
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { runLogger, type RunIdentity } from '../log-context.js';

const STUDY_ROUTE = /^\/v1\/studies\/([^/?#]+)/;

/** The request's logger, made before its hooks run, so read from the raw URL (the params come later). */
export const requestChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = function (logger, bindings, options, rawRequest) {
  const match = STUDY_ROUTE.exec(rawRequest.url ?? '');
  let studyId: string | undefined;
  try {
    studyId = match ? decodeURIComponent(match[1]!) : undefined;
  } catch {
    studyId = undefined; // a malformed escape: the route answers 400 or 404, the line goes unbound
  }
  return logger.child(studyId === undefined ? bindings : { ...bindings, studyId }, options);
};

/** Binds the rest of the request's lines, "request completed" included, to the run it is about. */
export function bindRequestToRun(request: FastifyRequest, reply: FastifyReply, run: RunIdentity): void {
  const log = runLogger(request.log as Logger, run);
  request.log = log;
  reply.log = log;
}
