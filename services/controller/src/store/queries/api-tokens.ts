// API tokens: bearer tokens for the REST API, each belonging to one team. Only their sha256 is stored.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { InvalidInputError } from '../../errors.js';
import { queryRows, type StoreDb } from '../db.js';
import { apiTokens } from '../schema.js';
import { ensureTeam } from './teams.js';

/** Recognisable in logs, configs and secret scanners; the rest is 32 random bytes. */
export const API_TOKEN_PREFIX = 'ar_';

export interface NewApiToken {
  teamName: string;
  /** Who or what holds it; the default owner of the studies it submits. */
  name: string;
}

export interface CreatedApiToken {
  /** The token itself: shown once, never stored. */
  token: string;
  id: string;
  teamId: string;
}

/** The team a valid token belongs to, and which token it was. */
export interface TokenTeam {
  id: string;
  name: string;
  quotaSlots: number | null;
  tokenId: string;
  tokenName: string;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates the team if it does not exist yet. */
export async function createApiToken(db: StoreDb, input: NewApiToken): Promise<CreatedApiToken> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) {
    throw new InvalidInputError([{ path: 'name', message: 'must be 1 to 200 characters' }]);
  }
  const team = await ensureTeam(db, input.teamName);
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = randomUUID();
  await db.insert(apiTokens).values({ id, teamId: team.id, name, tokenHash: hashApiToken(token) });
  return { token, id, teamId: team.id };
}

/**
 * Every API request goes through here, so it is one statement, and last_used_at is written at most
 * once a minute per token: a busy client must not turn each read into a row update.
 */
export async function findTeamByTokenHash(db: StoreDb, tokenHash: string): Promise<TokenTeam | null> {
  const [row] = await queryRows(
    db,
    sql`
      WITH found AS (
        SELECT k.id AS token_id, k.name AS token_name, t.id AS team_id, t.name AS team_name, t.quota_slots
        FROM api_tokens k
        JOIN teams t ON t.id = k.team_id
        WHERE k.token_hash = ${tokenHash} AND k.revoked_at IS NULL
      ), touched AS (
        UPDATE api_tokens
        SET last_used_at = now()
        WHERE id = (SELECT token_id FROM found)
          AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
      )
      SELECT * FROM found`,
  );
  if (!row) return null;
  return {
    id: String(row.team_id),
    name: String(row.team_name),
    quotaSlots: row.quota_slots === null || row.quota_slots === undefined ? null : Number(row.quota_slots),
    tokenId: String(row.token_id),
    tokenName: String(row.token_name),
  };
}

/** Returns false when there is no such token or it was already revoked. */
export async function revokeApiToken(db: StoreDb, id: string): Promise<boolean> {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return revoked.length > 0;
}
