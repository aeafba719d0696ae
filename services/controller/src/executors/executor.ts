// The seam between the scheduler and where runs execute: child processes on this machine (slots), or
// Kubernetes Jobs drawing on a cluster's GPU pool that every controller replica shares.
import type { Logger } from 'pino';
import type { RunAssignment } from '../../../../schemas/src/messages.js';
import type { StudySpec } from '../../../../schemas/src/study-spec.js';

export interface Slot {
  /** Stable name, e.g. `gpu:0` or `cpu:1`; for a pool executor, the pool's name. */
  name: string;
  /** Environment that pins a run to this slot (CUDA_VISIBLE_DEVICES for a GPU slot). */
  env: Record<string, string>;
}

export interface RunLaunch {
  runId: string;
  attempt: number;
  /** The run-scoped bearer token; it reaches the agent through its environment, never its arguments. */
  token: string;
  slot: Slot;
  controllerUrl: string;
  /** What the run belongs to: a Kubernetes Job is labelled and sized by it. */
  studyId: string;
  /** Recorded on a Kubernetes Job, so any replica can name the run's experiment in its logs. */
  experimentId?: string;
  spec: StudySpec;
  branchIndex: number;
  experimentNumber: number;
  /** The run's stage (spec.stages, 0-based): a Kubernetes Job takes that stage's budget and GPU class. */
  stage?: number;
  /** Bound to the run's study, experiment and run ids (log-context.ts): what the executor says about the run. */
  log?: Logger;
  /**
   * Builds the run's assignment, for an executor that hands it to an agent it already has running (a warm
   * embedded agent) instead of having the agent fetch it over HTTP.
   */
  assignment?: () => Promise<RunAssignment>;
}

/**
 * What the executor found out about a run's end, beyond an exit code: the run crashed for a reason of its
 * own (the kernel's OOM killer), or its infrastructure failed it (a lost node, an image that never pulled),
 * in which case it is run again when `retry` says so and retries are left.
 */
export type RunVerdict =
  | { status: 'crashed'; reason: string }
  | { status: 'lost'; reason: string; retry: boolean }
  | { status: 'stopped'; reason: string };

export interface AgentGone {
  exitCode: number | null;
  signal: string | null;
  /** The agent's own last diagnostic lines, which say why it ended when it could not report. */
  lastOutput: string[];
  verdict?: RunVerdict;
}

export type OnAgentGone = (run: { runId: string; attempt: number }, detail: AgentGone) => void;

interface ExecutorBase {
  readonly kind: string;
  /** Starts an agent for the run. `onGone` fires once the agent is gone, whatever the reason. */
  launch(run: RunLaunch, onGone: OnAgentGone): void;
  /** Hard-kills every agent this executor started (used at shutdown, after a graceful stop had its chance). */
  killAll(): Promise<void>;
  /** Leaves agents running at shutdown, for the next controller to adopt (standalone agents, Jobs). */
  detachAll(): Promise<void>;
  /** Ends the agent of a run's attempt declared lost (a hung agent must free its slot). */
  abandon(run: { runId: string; attempt: number }): void;
}

/** Fixed slots on this machine, one run each; each controller has its own. */
export interface SlotExecutor extends ExecutorBase {
  readonly placement: 'slots';
  slots(): Slot[];
}

export interface PoolCapacity {
  /** The slot name every run of this pool is recorded with, e.g. `kubernetes`. */
  name: string;
  /** GPUs in the pool (configured or discovered). */
  total: number;
  /**
   * What holds GPUs as the cluster shows it, whichever controller started it: live pods (a pod still
   * terminating after its agent reported holds its GPU until it exits), Jobs whose pod is not there yet,
   * and Jobs being created.
   */
  holders: { runId: string; gpus: number }[];
  /** The GPUs of all holders. */
  busy: number;
}

/**
 * A cluster-wide pool of GPUs shared by every controller replica. The database claim checks the pool's
 * total under a lock, so replicas claiming at once never overfill it; the executor watches every run of
 * the pool, whichever replica started it, so a replica that died leaves nothing unwatched.
 */
export interface PoolExecutor extends ExecutorBase {
  readonly placement: 'pool';
  capacity(): PoolCapacity;
  /**
   * Begins watching. `onGone` hears of every run of the pool that ends, including runs this process did
   * not launch. Running work left by earlier controllers is adopted; what belongs to no running run is
   * deleted. `isLive` says whether a run's attempt is still running according to the database.
   */
  start(onGone: OnAgentGone, isLive: (runId: string, attempt: number) => Promise<boolean>): Promise<void>;
  /** The run's agent has not started yet (pending scheduling or an image pull): its silence means nothing. */
  isStarting(run: { runId: string; attempt: number }): boolean;
  /** A study stopped: whatever it still has in the cluster goes. */
  studyStopped(studyId: string): Promise<void>;
}

export type Executor = SlotExecutor | PoolExecutor;

/** "2 slots (gpu:0, gpu:1)" or "the kubernetes pool (8 GPUs)", for a start-up line. */
export function describeCapacity(executor: Executor): string {
  if (executor.placement === 'pool') {
    const pool = executor.capacity();
    return `the ${pool.name} pool (${pool.total} GPU${pool.total === 1 ? '' : 's'})`;
  }
  const slots = executor.slots();
  return `${slots.length} slot${slots.length === 1 ? '' : 's'} (${slots.map((s) => s.name).join(', ')})`;
}
