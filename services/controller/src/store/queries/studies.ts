// Studies: create, read, list newest first, and the few fields that change over a study's life.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { StudySpec } from '../../../../../schemas/src/study-spec.js';
import { InvalidInputError } from '../../errors.js';
import { isoTimestamp, type StoreDb } from '../db.js';
import { LOCAL_TEAM_NAME, studies, type StudyRow, type StudyStatus } from '../schema.js';
import { ensureTeam } from './teams.js';

export interface NewStudy {
  id: string;
  name: string;
  flavor: string;
  spec: StudySpec;
  specHash: string;
  sourceDir: string | null;
  stopOverrides?: Record<string, unknown>;
  /** The team whose queue share and quota the study counts against; the `local` team when absent. */
  teamId?: string;
  owner?: string | null;
  /** Fair-share weight, at least 1 (the default). */
  priority?: number;
}

export type StudyPatch = Partial<
  Pick<
    StudyRow,
    'status' | 'stopReason' | 'pausedReason' | 'finalStatus' | 'noiseSigma' | 'startedAt' | 'stoppedAt' | 'stopOverrides' | 'teamId' | 'owner' | 'priority'
  >
>;

export interface ListStudiesOptions {
  limit: number;
  cursor?: string;
  /** Only this team's studies. */
  teamId?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export async function createStudy(db: StoreDb, study: NewStudy): Promise<StudyRow> {
  assertPriority(study.priority);
  const teamId = study.teamId ?? (await ensureTeam(db, LOCAL_TEAM_NAME)).id;
  const [row] = await db
    .insert(studies)
    .values({
      ...study,
      teamId,
      owner: study.owner ?? null,
      priority: study.priority ?? 1,
      stopOverrides: study.stopOverrides ?? {},
    })
    .returning();
  return row!;
}

function assertPriority(priority: number | undefined): void {
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 1)) {
    throw new InvalidInputError([{ path: 'priority', message: `must be an integer of at least 1 (got ${priority})` }]);
  }
}

export async function getStudy(db: StoreDb, id: string): Promise<StudyRow | undefined> {
  const [row] = await db.select().from(studies).where(eq(studies.id, id));
  return row;
}

/** The newest study started from this folder: `autoresearch run` in the same folder resumes it. */
export async function findStudyBySourceDir(db: StoreDb, sourceDir: string): Promise<StudyRow | undefined> {
  const [row] = await db
    .select()
    .from(studies)
    .where(eq(studies.sourceDir, sourceDir))
    .orderBy(desc(studies.createdAt), desc(studies.id))
    .limit(1);
  return row;
}

export async function listStudiesByStatus(db: StoreDb, statuses: StudyStatus[]): Promise<StudyRow[]> {
  if (statuses.length === 0) return [];
  return db.select().from(studies).where(inArray(studies.status, statuses)).orderBy(studies.createdAt, studies.id);
}

/** Newest first. Keyset pagination on (created_at, id), so pages stay stable while studies are added. */
export async function listStudies(db: StoreDb, options: ListStudiesOptions): Promise<Page<StudyRow>> {
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const rows = await db
    .select()
    .from(studies)
    .where(
      and(
        options.teamId === undefined ? undefined : eq(studies.teamId, options.teamId),
        after && sql`(${studies.createdAt}, ${studies.id}) < (${after.createdAt}::timestamptz, ${after.id})`,
      ),
    )
    .orderBy(desc(studies.createdAt), desc(studies.id))
    .limit(options.limit + 1);
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  const nextCursor = rows.length > options.limit && last ? encodeCursor(last) : null;
  return { items, nextCursor };
}

export async function updateStudy(db: StoreDb, id: string, patch: StudyPatch): Promise<StudyRow | undefined> {
  assertPriority(patch.priority);
  if (Object.keys(patch).length === 0) return getStudy(db, id);
  const [row] = await db.update(studies).set(patch).where(eq(studies.id, id)).returning();
  return row;
}

function encodeCursor(row: StudyRow): string {
  return Buffer.from(JSON.stringify([isoTimestamp(row.createdAt), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError([{ path: 'cursor', message: 'is not a cursor returned by a previous page' }]);
}
