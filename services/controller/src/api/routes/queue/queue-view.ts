// What the queue page shows, from the database's running runs and this controller's executor: each slot
// (or the pool's GPUs) and what holds it, and each active study's demand and fair share. Another team's
// runs and studies are counted but never named.
import type { Executor } from '../../../executors/executor.js';
import { entitledSlots } from '../../../scheduler/fair-shares.js';
import type { QueueState, RunningRun } from '../../../store/queries/queue-state.js';
import type { RequestTeam } from '../../auth.js';

export interface QueueHolder {
  /** False for another team's run: only its slot and size are shown. */
  visible: boolean;
  runId: string | null;
  studyId: string | null;
  studyName: string | null;
  experimentNumber: number | null;
  startedAt: string | null;
  slot: string | null;
  /** The controller that runs it. */
  host: string | null;
  gpus: number;
}

export interface QueueView {
  /** How this controller runs work: its own slots, a cluster pool, or nothing (a read-only view). */
  placement: 'slots' | 'pool' | null;
  /** Its slots, or the pool's GPUs. */
  capacity: number;
  /** Each slot and its holder (null when free); for a pool, one entry per running run. */
  slots: { name: string; gpus: number; holder: QueueHolder | null }[];
  /** Free slots, or free GPUs of the pool. */
  free: number;
  /** Runs on other controllers' slots (replicas sharing the database). */
  elsewhere: QueueHolder[];
  studies: {
    id: string;
    name: string;
    status: string;
    owner: string | null;
    team: string;
    priority: number;
    running: number;
    queued: number;
    /** Running runs per unit of priority: the next free slot goes to the smallest. */
    share: number;
    /** The slots its priority entitles it to while the queue is contended (scheduler/fair-shares.ts). */
    entitled: number;
  }[];
  /** Other teams' demand, as totals (null when the caller sees every team). */
  otherTeams: { studies: number; running: number; queued: number } | null;
}

export function buildQueueView(
  state: QueueState,
  context: { executor?: Executor; controllerId?: string; team: RequestTeam | null },
): QueueView {
  const { executor, controllerId, team } = context;
  const holder = (run: RunningRun): QueueHolder => {
    const visible = team === null || run.teamId === team.id;
    return {
      visible,
      runId: visible ? run.runId : null,
      studyId: visible ? run.studyId : null,
      studyName: visible ? run.studyName : null,
      experimentNumber: visible ? run.experimentNumber : null,
      startedAt: visible && run.startedAt ? run.startedAt.toISOString() : null,
      slot: run.slot,
      host: run.host,
      gpus: run.gpus,
    };
  };
  let placement: QueueView['placement'] = null;
  let capacity = 0;
  let free = 0;
  const slots: QueueView['slots'] = [];
  const mine = new Set<string>();
  if (executor?.placement === 'slots') {
    placement = 'slots';
    for (const slot of executor.slots()) {
      const run = state.running.find((r) => r.slot === slot.name && (controllerId === undefined || r.host === controllerId) && !mine.has(r.runId));
      if (run) mine.add(run.runId);
      slots.push({ name: slot.name, gpus: slot.name.startsWith('gpu:') ? 1 : 0, holder: run ? holder(run) : null });
    }
    capacity = slots.length;
    free = slots.filter((s) => s.holder === null).length;
  } else if (executor?.placement === 'pool') {
    placement = 'pool';
    const pool = executor.capacity();
    for (const run of state.running.filter((r) => r.slot === pool.name)) {
      mine.add(run.runId);
      slots.push({ name: pool.name, gpus: run.gpus, holder: holder(run) });
    }
    capacity = pool.total;
    free = Math.max(0, pool.total - Math.max(pool.busy, slots.reduce((sum, s) => sum + s.gpus, 0)));
  }
  const elsewhere = state.running.filter((r) => !mine.has(r.runId)).map(holder);
  const shares = entitledSlots(
    state.studies.map((s) => ({ id: s.studyId, teamId: s.teamId, priority: s.priority, demand: s.running + s.queued })),
    placement === 'pool' ? capacity : capacity + elsewhere.length,
    new Map(state.studies.map((s) => [s.teamId, s.teamQuota])),
  );
  const visible = state.studies.filter((s) => team === null || s.teamId === team.id);
  const others = state.studies.filter((s) => !visible.includes(s));
  return {
    placement,
    capacity,
    slots,
    free,
    elsewhere,
    studies: visible.map((s) => ({
      id: s.studyId,
      name: s.name,
      status: s.status,
      owner: s.owner,
      team: s.teamName,
      priority: s.priority,
      running: s.running,
      queued: s.queued,
      share: s.running / s.priority,
      entitled: shares.get(s.studyId) ?? 0,
    })),
    otherTeams: team === null
      ? null
      : { studies: others.length, running: others.reduce((n, s) => n + s.running, 0), queued: others.reduce((n, s) => n + s.queued, 0) },
  };
}
