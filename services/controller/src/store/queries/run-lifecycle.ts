// The other ways a run's state changes: heartbeats, endings without a result, requeue and cancel.
// Every change to a running run names the attempt it applies to, so a late word about an attempt the
// controller has moved past changes nothing.
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { StoreDb } from '../db.js';
import { experiments, runs, type RunRow, type RunRowStatus } from '../schema.js';

export type RunEndingWithoutResult = Exclude<RunRowStatus, 'queued' | 'running' | 'succeeded'>;

function isCurrentAttempt(runId: string, attempt: number) {
  return and(eq(runs.id, runId), eq(runs.attempt, attempt), eq(runs.status, 'running'));
}

/** The agent's own report that its process started, on the host where it actually runs. */
export async function recordRunStarted(
  db: StoreDb,
  runId: string,
  attempt: number,
  started: { host: string; startedAt: Date },
): Promise<boolean> {
  const updated = await db
    .update(runs)
    .set({ host: started.host, startedAt: started.startedAt, heartbeatAt: sql`now()` })
    .where(isCurrentAttempt(runId, attempt))
    .returning({ id: runs.id });
  return updated.length > 0;
}

export async function touchHeartbeat(db: StoreDb, runId: string, attempt: number): Promise<boolean> {
  const updated = await db
    .update(runs)
    .set({ heartbeatAt: sql`now()` })
    .where(isCurrentAttempt(runId, attempt))
    .returning({ id: runs.id });
  return updated.length > 0;
}

/** Ends a run that will send no result: its agent died (lost, crashed) or it was stopped before it could. */
export async function finishRun(
  db: StoreDb,
  runId: string,
  attempt: number,
  ending: { status: RunEndingWithoutResult; reason: string },
): Promise<RunRow | undefined> {
  const [row] = await db
    .update(runs)
    .set({ status: ending.status, reason: ending.reason, finishedAt: sql`now()` })
    .where(isCurrentAttempt(runId, attempt))
    .returning();
  return row;
}

/** Running runs whose agent has been silent since `before`: candidates to be declared lost. */
export async function listSilentRuns(db: StoreDb, before: Date): Promise<RunRow[]> {
  return db
    .select()
    .from(runs)
    .where(and(eq(runs.status, 'running'), lt(sql`coalesce(${runs.heartbeatAt}, ${runs.startedAt})`, before)));
}

/**
 * After a controller restart whose agents are gone: every running run of the study goes back to the
 * queue. The token is cleared so the old agent can no longer fetch or report; the next claim bumps the
 * attempt, so a late result of the old one is ignored.
 */
export async function requeueRunningRuns(db: StoreDb, studyId: string): Promise<number> {
  const requeued = await db
    .update(runs)
    .set(BACK_IN_QUEUE)
    .where(and(eq(runs.studyId, studyId), eq(runs.status, 'running')))
    .returning({ id: runs.id });
  return requeued.length;
}

/**
 * When a study resumes: the runs that were cut off (running when the controller died, stopped by the
 * stop request, lost with their agent) are queued again, as a new attempt. Only runs of undecided
 * experiments: a decided experiment's runs are its record and never run twice.
 */
export async function requeueUnfinishedRuns(db: StoreDb, studyId: string): Promise<number> {
  const undecided = db
    .select({ id: experiments.id })
    .from(experiments)
    .where(and(eq(experiments.studyId, studyId), eq(experiments.status, 'pending')));
  const requeued = await db
    .update(runs)
    .set({ ...BACK_IN_QUEUE, reason: null, finishedAt: null })
    .where(
      and(
        eq(runs.studyId, studyId),
        inArray(runs.status, ['running', 'stopped', 'lost']),
        inArray(runs.experimentId, undecided),
      ),
    )
    .returning({ id: runs.id });
  return requeued.length;
}

const BACK_IN_QUEUE = {
  status: 'queued',
  tokenHash: null,
  slot: null,
  host: null,
  startedAt: null,
  heartbeatAt: null,
} as const;

/** Stops the runs of an experiment that no slot has taken yet (the study stops, or the experiment is moot). */
export async function cancelQueuedRuns(db: StoreDb, experimentId: string, reason = 'cancelled'): Promise<number> {
  const stopped = await db
    .update(runs)
    .set({ status: 'stopped', reason, finishedAt: sql`now()` })
    .where(and(eq(runs.experimentId, experimentId), eq(runs.status, 'queued')))
    .returning({ id: runs.id });
  return stopped.length;
}
