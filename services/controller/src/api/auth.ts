// API authentication. Embedded loopback mode needs no token; anywhere else every /v1 route needs one.
// The agent's assignment route is always guarded by its run-scoped token instead (see routes/runs).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';

export interface AuthConfig {
  /** sha256 hex of the accepted API tokens; empty means no token is needed (loopback only). */
  apiTokenHashes: string[];
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export function requireApiToken(config: AuthConfig, request: FastifyRequest): void {
  if (config.apiTokenHashes.length === 0) return;
  const token = bearerToken(request);
  if (!token) throw new UnauthorizedError('this server needs an API token: send Authorization: Bearer <token>');
  const hash = sha256Hex(token);
  if (!config.apiTokenHashes.some((accepted) => sameHash(accepted, hash))) throw new UnauthorizedError('the API token is not valid');
}
