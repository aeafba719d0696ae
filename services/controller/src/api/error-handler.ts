// The one place that maps errors to HTTP answers. Every 4xx names the field and the problem.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toDottedPath } from '../../../../schemas/src/validate.js';
import { AutoresearchError, InvalidInputError } from '../errors.js';

const STATUS_BY_CODE: Record<string, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  DUPLICATE_CHANGE: 409,
  WORKSPACE_TOO_LARGE: 413,
  WORKSPACE_SYMLINK: 400,
  STORE_UNAVAILABLE: 503,
};

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof InvalidInputError) {
    void reply.status(400).send({ error: error.code, message: error.message, fields: error.fieldErrors });
    return;
  }
  if (error instanceof AutoresearchError) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(status).send({ error: error.code, message: error.message });
    return;
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'body';
    const fields = fastifyError.validation.map((v) => ({
      path: [context, toDottedPath(v.instancePath || ''), (v.params as { missingProperty?: string }).missingProperty]
        .filter(Boolean)
        .join('.'),
      message: v.message ?? 'is invalid',
    }));
    void reply.status(400).send({
      error: 'INVALID_INPUT',
      message: fields.map((f) => `${f.path}: ${f.message}`).join('; '),
      fields,
    });
    return;
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.status(status).send({ error: fastifyError.code ?? 'INTERNAL', message: status >= 500 ? 'internal error' : error.message });
}
