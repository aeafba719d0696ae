// Reading runs. Changing them lives beside: claim-run.ts, ingest-result.ts, run-lifecycle.ts.
import { and, asc, eq } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { experiments, runs, type RunRow, type RunRowStatus } from '../schema.js';

export async function getRun(db: StoreDb, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row;
}

export async function listRuns(db: StoreDb, experimentId: string): Promise<RunRow[]> {
  return db.select().from(runs).where(eq(runs.experimentId, experimentId)).orderBy(asc(runs.repeatIndex));
}

/** In queue order: experiment number, then repeat index. */
export async function listRunsByStatus(db: StoreDb, studyId: string, status: RunRowStatus): Promise<RunRow[]> {
  const rows = await db
    .select({ run: runs })
    .from(runs)
    .innerJoin(experiments, eq(experiments.id, runs.experimentId))
    .where(and(eq(runs.studyId, studyId), eq(runs.status, status)))
    .orderBy(asc(experiments.number), asc(runs.repeatIndex));
  return rows.map((row) => row.run);
}

/** The running run whose agent holds this token, if any: finished and requeued runs have no token. */
export async function findRunningRunByTokenHash(db: StoreDb, tokenHash: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.tokenHash, tokenHash), eq(runs.status, 'running')))
    .limit(1);
  return row;
}
