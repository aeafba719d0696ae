// Branches: parallel lines of search, each with a head that moves only when a candidate is kept.
import { asc, eq } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { branches, type BranchRow, type StageValues } from '../schema.js';

export interface NewBranch {
  id: string;
  studyId: string;
  index: number;
  headRevisionId: string;
}

export interface BranchHead {
  revisionId: string;
  /** The experiment whose candidate becomes the head. */
  experimentId: string;
  score: number | null;
  values: number[];
  /** Its run values at each stage (spec.stages); left as they are when absent. */
  stageValues?: StageValues;
}

export async function createBranch(db: StoreDb, branch: NewBranch): Promise<BranchRow> {
  const [row] = await db.insert(branches).values(branch).returning();
  return row!;
}

export async function getBranch(db: StoreDb, id: string): Promise<BranchRow | undefined> {
  const [row] = await db.select().from(branches).where(eq(branches.id, id));
  return row;
}

export async function listBranches(db: StoreDb, studyId: string): Promise<BranchRow[]> {
  return db.select().from(branches).where(eq(branches.studyId, studyId)).orderBy(asc(branches.index));
}

/** Moves a branch's head: after a keep, or when it adopts a better head from another branch. */
export async function moveBranchHead(db: StoreDb, branchId: string, head: BranchHead): Promise<BranchRow | undefined> {
  const [row] = await db.update(branches).set(headColumns(head)).where(eq(branches.id, branchId)).returning();
  return row;
}

/** Moves every branch of a study to one head: the measured baseline they all start from. */
export async function moveEveryBranchHead(db: StoreDb, studyId: string, head: BranchHead): Promise<void> {
  await db.update(branches).set(headColumns(head)).where(eq(branches.studyId, studyId));
}

function headColumns(head: BranchHead) {
  return {
    headRevisionId: head.revisionId,
    headExperimentId: head.experimentId,
    headScore: head.score,
    headValues: head.values,
    ...(head.stageValues !== undefined && { headStageValues: head.stageValues }),
  };
}
