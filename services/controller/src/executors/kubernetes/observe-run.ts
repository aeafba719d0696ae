// What a run's Job and pod say about it, as a pure function of the objects the watches last saw. The
// executor compares this with what it last reported; every fault the cluster can deal a run is sorted
// here into "still starting", "running" or "ended, and why".
import type { V1Job, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import type { RunVerdict } from '../executor.js';

/** The last state seen of a Job's pod, and whether the watch has since seen it deleted. */
export interface SeenPod {
  pod: V1Pod;
  deleted: boolean;
}

/** Why a pod has not started, in the cluster's own words: the reason is what `kubectl get pods` shows. */
export interface StartProblem {
  reason: string;
  message: string;
}

export type RunObservation =
  | { phase: 'starting'; problem?: StartProblem }
  | { phase: 'running' }
  | { phase: 'ended'; exitCode: number | null; signal: string | null; verdict?: RunVerdict };

/** Container states that end in nothing if left alone (the kubelet would back off forever). */
const STUCK_WAITING_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** Pod-level reasons for a pod the node, not the run, ended. */
const DISRUPTION_REASONS = new Set(['NodeLost', 'Evicted', 'Shutdown', 'NodeShutdown', 'Terminated', 'Preempting', 'UnexpectedAdmissionError']);

export function observeRun(job: V1Job, seen: SeenPod | undefined): RunObservation {
  const pod = seen?.pod;
  const status = pod?.status;
  const container = status?.containerStatuses?.find((c) => c.name === 'agent') ?? status?.containerStatuses?.[0];
  const terminated = container?.state?.terminated;

  if (terminated?.reason === 'OOMKilled') {
    const spec = pod?.spec?.containers?.find((c) => c.name === container?.name) ?? pod?.spec?.containers?.[0];
    const limit = spec?.resources?.limits?.memory;
    return {
      phase: 'ended',
      exitCode: terminated.exitCode ?? 137,
      signal: 'SIGKILL',
      verdict: {
        status: 'crashed',
        reason: `OOM: the container was killed for running out of memory${limit ? ` (limit ${limit})` : ''}`,
      },
    };
  }

  const disruption = conditionOf(status?.conditions, 'DisruptionTarget');
  if (status?.phase === 'Failed' && (DISRUPTION_REASONS.has(status.reason ?? '') || disruption)) {
    const why = status.reason ?? disruption?.reason ?? 'Disrupted';
    const what = why === 'NodeLost' ? 'its node was lost' : why === 'Evicted' ? 'the pod was evicted' : 'the pod was disrupted';
    return {
      phase: 'ended',
      exitCode: terminated?.exitCode ?? null,
      signal: null,
      verdict: { status: 'lost', reason: `${why}: ${what}${detail(status.message ?? disruption?.message)}`, retry: true },
    };
  }

  const complete = conditionOf(job.status?.conditions, 'Complete');
  if (complete || status?.phase === 'Succeeded') return { phase: 'ended', exitCode: 0, signal: null };

  // Before the container's own end: past the deadline, the job controller's SIGTERM is what ended it.
  const failed = conditionOf(job.status?.conditions, 'Failed');
  if (failed?.reason === 'DeadlineExceeded') {
    const reason = `DeadlineExceeded: the Job ran past its activeDeadlineSeconds (${job.spec?.activeDeadlineSeconds ?? '?'} s) before the agent reported`;
    return { phase: 'ended', exitCode: terminated?.exitCode ?? null, signal: null, verdict: { status: 'lost', reason, retry: true } };
  }

  // The agent itself ended with an error: whether it reported first is the scheduler's question.
  if (terminated) return { phase: 'ended', exitCode: terminated.exitCode ?? null, signal: terminated.signal ? String(terminated.signal) : null };

  if (failed) {
    const reason = `the Job failed (${failed.reason ?? 'no reason given'})${detail(failed.message)}`;
    return { phase: 'ended', exitCode: null, signal: null, verdict: { status: 'lost', reason, retry: true } };
  }

  if (seen?.deleted) {
    return {
      phase: 'ended',
      exitCode: null,
      signal: null,
      verdict: { status: 'lost', reason: 'the pod was deleted before its agent finished (a drain, a preemption or kubectl delete)', retry: true },
    };
  }

  if (status?.phase === 'Failed') {
    return {
      phase: 'ended',
      exitCode: null,
      signal: null,
      verdict: { status: 'lost', reason: `the pod failed (${status.reason ?? 'no reason given'})${detail(status.message)}`, retry: true },
    };
  }
  if (status?.phase === 'Running') return { phase: 'running' };
  return { phase: 'starting', ...startProblem(pod) };
}

function startProblem(pod: V1Pod | undefined): { problem?: StartProblem } {
  const scheduled = conditionOf(pod?.status?.conditions, 'PodScheduled', 'False');
  if (scheduled?.reason === 'Unschedulable') {
    return { problem: { reason: 'Unschedulable', message: scheduled.message ?? 'no node can take the pod' } };
  }
  for (const container of pod?.status?.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return { problem: { reason: waiting.reason, message: waiting.message ?? '' } };
    }
  }
  return {};
}

/** Image-pull failures flip between ErrImagePull and ImagePullBackOff; both are one problem in progress. */
export function sameProblem(a: StartProblem, b: StartProblem): boolean {
  const family = (reason: string) => (reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'image-pull' : reason);
  return family(a.reason) === family(b.reason);
}

function conditionOf(conditions: V1PodCondition[] | { type: string; status: string; reason?: string; message?: string }[] | undefined, type: string, status = 'True') {
  return conditions?.find((c) => c.type === type && c.status === status);
}

function detail(message: string | undefined): string {
  return message ? `: ${message}` : '';
}
