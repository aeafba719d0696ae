// Teams: who shares the queue, and how many slots each may hold at once.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { InvalidInputError } from '../../errors.js';
import type { StoreDb } from '../db.js';
import { teams, type TeamRow } from '../schema.js';

/** Names appear in URLs, logs and CLI flags: keep them plain. */
const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface EnsureTeamOptions {
  /** Sets the team's cap on running runs (null: no cap). Left as it is when not given. */
  quotaSlots?: number | null;
}

export function assertTeamName(name: string, path = 'team'): void {
  if (!TEAM_NAME.test(name)) {
    throw new InvalidInputError([
      { path, message: `"${name}" is not a team name: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit` },
    ]);
  }
}

export function assertQuota(quotaSlots: number | null, path = 'quotaSlots'): void {
  if (quotaSlots !== null && (!Number.isInteger(quotaSlots) || quotaSlots < 0)) {
    throw new InvalidInputError([{ path, message: `must be a non-negative integer or null (got ${quotaSlots})` }]);
  }
}

/**
 * Creates the team, or returns it when it exists. One statement, so two callers racing to create the
 * same team both get the one row: DO UPDATE (rather than DO NOTHING) is what makes RETURNING answer
 * for an existing row; it rewrites the quota only when one was given.
 */
export async function ensureTeam(db: StoreDb, name: string, options: EnsureTeamOptions = {}): Promise<TeamRow> {
  assertTeamName(name);
  if (options.quotaSlots !== undefined) assertQuota(options.quotaSlots);
  const [row] = await db
    .insert(teams)
    .values({ id: randomUUID(), name, quotaSlots: options.quotaSlots ?? null })
    .onConflictDoUpdate({
      target: teams.name,
      set: { quotaSlots: options.quotaSlots === undefined ? sql`${teams.quotaSlots}` : sql`excluded.quota_slots` },
    })
    .returning();
  return row!;
}

export async function getTeamByName(db: StoreDb, name: string): Promise<TeamRow | undefined> {
  const [row] = await db.select().from(teams).where(eq(teams.name, name));
  return row;
}

/** Returns undefined when there is no such team. */
export async function setTeamQuota(db: StoreDb, name: string, quotaSlots: number | null): Promise<TeamRow | undefined> {
  assertQuota(quotaSlots);
  const [row] = await db.update(teams).set({ quotaSlots }).where(eq(teams.name, name)).returning();
  return row;
}
