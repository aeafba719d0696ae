// What the shared queue looks like now: the running runs (which slot, which study) and each active
// study's demand, for the dashboard's queue page. Read-only; claims live in claim-run.ts.
import { sql } from 'drizzle-orm';
import { queryRows, type StoreDb } from '../db.js';
import type { StudyStatus } from '../schema.js';

/** Bounds the answer even for a database shared by many controllers. */
const MAX_RUNNING_ROWS = 5000;
const MAX_STUDY_ROWS = 1000;

export interface RunningRun {
  runId: string;
  slot: string | null;
  /** The controller that claimed it. */
  host: string | null;
  startedAt: Date | null;
  studyId: string;
  studyName: string;
  teamId: string;
  experimentNumber: number;
  /** GPUs the run holds in a cluster pool (`run.kubernetes.gpus`, default 1). */
  gpus: number;
}

export interface StudyDemand {
  studyId: string;
  name: string;
  status: StudyStatus;
  owner: string | null;
  priority: number;
  teamId: string;
  teamName: string;
  teamQuota: number | null;
  running: number;
  queued: number;
}

export interface QueueState {
  running: RunningRun[];
  studies: StudyDemand[];
}

export async function getQueueState(db: StoreDb): Promise<QueueState> {
  const running = await queryRows(db, sql`
    SELECT r.id, r.slot, r.host, r.started_at, s.id AS study_id, s.name AS study_name, s.team_id, e.number,
           coalesce((s.spec #>> '{run,kubernetes,gpus}')::int, 1) AS gpus
      FROM runs r
      JOIN studies s ON s.id = r.study_id
      JOIN experiments e ON e.id = r.experiment_id
     WHERE r.status = 'running'
     ORDER BY r.slot, r.started_at, r.id
     LIMIT ${MAX_RUNNING_ROWS}`);
  // Stopping studies still hold their slots until their runs end, so they are part of the picture.
  const studies = await queryRows(db, sql`
    SELECT s.id, s.name, s.status, s.owner, s.priority, s.team_id, t.name AS team_name, t.quota_slots,
           count(r.id) FILTER (WHERE r.status = 'running')::int AS running,
           count(r.id) FILTER (WHERE r.status = 'queued')::int AS queued
      FROM studies s
      JOIN teams t ON t.id = s.team_id
      LEFT JOIN runs r ON r.study_id = s.id AND r.status IN ('running', 'queued')
     WHERE s.status IN ('running', 'paused', 'stopping')
     GROUP BY s.id, t.id
     ORDER BY s.created_at, s.id
     LIMIT ${MAX_STUDY_ROWS}`);
  return {
    running: running.map((row) => ({
      runId: String(row.id),
      slot: (row.slot as string | null) ?? null,
      host: (row.host as string | null) ?? null,
      startedAt: row.started_at === null ? null : new Date(row.started_at as string | Date),
      studyId: String(row.study_id),
      studyName: String(row.study_name),
      teamId: String(row.team_id),
      experimentNumber: Number(row.number),
      gpus: Number(row.gpus),
    })),
    studies: studies.map((row) => ({
      studyId: String(row.id),
      name: String(row.name),
      status: row.status as StudyStatus,
      owner: (row.owner as string | null) ?? null,
      priority: Number(row.priority),
      teamId: String(row.team_id),
      teamName: String(row.team_name),
      teamQuota: row.quota_slots === null ? null : Number(row.quota_slots),
      running: Number(row.running),
      queued: Number(row.queued),
    })),
  };
}
