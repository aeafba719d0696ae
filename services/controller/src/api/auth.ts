// API authentication. Embedded loopback mode is open; anywhere else every /v1 route needs a team's
// bearer token, and what a request sees is scoped to that team. The agent's assignment route is guarded
// by its run-scoped token instead (see routes/runs).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AutoresearchError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';

/** The team a request acts for, from its API token. */
export interface RequestTeam {
  id: string;
  name: string;
  /** The token's label: the default owner of studies it submits. */
  tokenName?: string;
}

export type AuthConfig =
  /** No token, no scoping: only for the embedded controller on loopback. */
  | { mode: 'open' }
  /** Every /v1 request needs `Authorization: Bearer <token>`; the token's sha256 resolves its team. */
  | { mode: 'tokens'; resolveTeam(tokenHash: string): Promise<RequestTeam | null> };

declare module 'fastify' {
  interface FastifyRequest {
    /** Null in open mode: the request sees every study. */
    team: RequestTeam | null;
  }
}

/** Tokens mode backed by the store's API tokens (`autoresearch token create`). */
export function storeTokenAuth(store: Pick<Store, 'findTeamByTokenHash'>): AuthConfig {
  return {
    mode: 'tokens',
    resolveTeam: async (tokenHash) => {
      const found = await store.findTeamByTokenHash(tokenHash);
      return found && { id: found.id, name: found.name, tokenName: found.tokenName };
    },
  };
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

/** Finds the request's team from its bearer token, or refuses it with 401. */
export async function authenticate(config: AuthConfig, request: FastifyRequest): Promise<RequestTeam | null> {
  if (config.mode === 'open') return null;
  const token = bearerToken(request);
  if (!token) throw new UnauthorizedError('this server needs an API token: send Authorization: Bearer <token>');
  const team = await config.resolveTeam(sha256Hex(token));
  if (!team) throw new UnauthorizedError('the API token is not valid: it is unknown or was revoked');
  return team;
}

/**
 * Another team's study answers exactly like a missing one (404, never 403), so a token cannot learn
 * which study ids exist.
 */
export function assertStudyVisible(team: RequestTeam | null, study: StudyRow | undefined, id: string): StudyRow {
  if (!study || (team !== null && study.teamId !== team.id)) throw new NotFoundError(`study ${id}`);
  return study;
}

/** A run token that belongs to a run other than the one asked for. */
export class ForeignRunTokenError extends AutoresearchError {
  constructor() {
    super('FORBIDDEN', 'this token belongs to another run');
  }
}
