// The job controller's part: one pod per attempt, status counts and conditions, backoffLimit retries,
// activeDeadlineSeconds, and the garbage collector's handling of a deleted Job's pods.
import { recordEvent } from './events.js';
import type { Fault, Kubelet } from './kubelet.js';
import { JOBS, PODS } from './resources.js';
import { now, type KubeObject, type ObjectStore } from './store.js';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export class JobController {
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private readonly faults = new Map<string, Fault>();
  private readonly counted = new Set<string>();
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly kubelet: Kubelet,
  ) {}

  jobCreated(job: KubeObject, fault: Fault | undefined): void {
    if (fault) this.faults.set(job.metadata.uid, fault);
    const started = this.store.update(JOBS, job.metadata.namespace, job.metadata.name, (j) => {
      j.status = { ...j.status, startTime: now(), active: 0 };
    });
    if (!started) return;
    const deadline = started.spec?.activeDeadlineSeconds;
    if (typeof deadline === 'number') {
      const timer = setTimeout(() => this.deadlineExceeded(started), deadline * 1000);
      this.deadlines.set(job.metadata.uid, timer);
    }
    this.createPod(started);
  }

  /** The kubelet's report that a pod reached Succeeded or Failed (or was lost with its node). */
  podFinished(pod: KubeObject): void {
    if (this.counted.has(pod.metadata.uid)) return;
    this.counted.add(pod.metadata.uid);
    const owner = pod.metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === 'Job');
    if (!owner) return;
    const job = this.store.get(JOBS, pod.metadata.namespace, owner.name);
    if (!job || job.metadata.uid !== owner.uid || isFinished(job) || job.metadata.deletionTimestamp) return;
    const succeeded = pod.status?.phase === 'Succeeded';
    const updated = this.store.update(JOBS, job.metadata.namespace, job.metadata.name, (j) => {
      j.status.active = Math.max(0, (j.status.active ?? 0) - 1);
      if (succeeded) j.status.succeeded = (j.status.succeeded ?? 0) + 1;
      else j.status.failed = (j.status.failed ?? 0) + 1;
      if (j.status.active === 0) delete j.status.active;
    });
    if (!updated) return;
    const completions = updated.spec?.completions ?? 1;
    const backoffLimit = updated.spec?.backoffLimit ?? 6;
    if ((updated.status.succeeded ?? 0) >= completions) {
      this.finish(updated, 'Complete', undefined, undefined);
      recordEvent(this.store, updated, 'Normal', 'Completed', 'Job completed', 'job-controller');
    } else if ((updated.status.failed ?? 0) > backoffLimit) {
      this.finish(updated, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      recordEvent(this.store, updated, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', 'job-controller');
    } else if (!succeeded) {
      this.createPod(updated);
    }
  }

  /** Deletes a Job the way the API server and garbage collector together do for each policy. */
  deleteJob(job: KubeObject, policy: PropagationPolicy): KubeObject | undefined {
    this.clearDeadline(job.metadata.uid);
    const pods = this.podsOf(job);
    if (policy === 'Orphan') {
      for (const pod of pods) {
        this.store.update(PODS, pod.metadata.namespace, pod.metadata.name, (p) => {
          p.metadata.ownerReferences = (p.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== job.metadata.uid);
        });
      }
      this.store.remove(JOBS, job.metadata.namespace, job.metadata.name);
      return undefined;
    }
    if (policy === 'Background') {
      this.store.remove(JOBS, job.metadata.namespace, job.metadata.name);
      for (const pod of pods) this.kubelet.deletePod(pod.metadata.namespace!, pod.metadata.name);
      return undefined;
    }
    // Foreground: the Job stays, marked, until every pod is gone.
    const marked = this.store.update(JOBS, job.metadata.namespace, job.metadata.name, (j) => {
      j.metadata.deletionTimestamp = now();
      j.metadata.deletionGracePeriodSeconds = 0;
      j.metadata.finalizers = [...(j.metadata.finalizers ?? []), 'foregroundDeletion'];
    });
    for (const pod of pods) this.kubelet.deletePod(pod.metadata.namespace!, pod.metadata.name);
    this.removeWhenPodsGone(job);
    return marked;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
  }

  private removeWhenPodsGone(job: KubeObject): void {
    if (this.closed) return;
    if (this.podsOf(job).length === 0) {
      this.store.remove(JOBS, job.metadata.namespace, job.metadata.name);
      return;
    }
    setTimeout(() => this.removeWhenPodsGone(job), 20);
  }

  private createPod(job: KubeObject): void {
    const template = job.spec.template ?? {};
    const uid = job.metadata.uid;
    const name = job.metadata.name;
    const pod = this.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${name}-`,
        namespace: job.metadata.namespace,
        labels: {
          ...template.metadata?.labels,
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': name,
          'controller-uid': uid,
          'job-name': name,
        },
        annotations: { ...template.metadata?.annotations },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(template.spec),
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
    this.store.update(JOBS, job.metadata.namespace, name, (j) => {
      j.status.active = (j.status.active ?? 0) + 1;
    });
    recordEvent(this.store, job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, 'job-controller');
    this.kubelet.admit(pod, this.faults.get(uid));
  }

  private deadlineExceeded(job: KubeObject): void {
    this.deadlines.delete(job.metadata.uid);
    const current = this.store.get(JOBS, job.metadata.namespace, job.metadata.name);
    if (!current || current.metadata.uid !== job.metadata.uid || isFinished(current)) return;
    const active = this.podsOf(current).filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed');
    for (const pod of active) {
      this.counted.add(pod.metadata.uid);
      this.kubelet.deletePod(pod.metadata.namespace!, pod.metadata.name);
    }
    const updated = this.store.update(JOBS, current.metadata.namespace, current.metadata.name, (j) => {
      j.status.failed = (j.status.failed ?? 0) + active.length;
      delete j.status.active;
    });
    if (!updated) return;
    this.finish(updated, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
    recordEvent(this.store, updated, 'Warning', 'DeadlineExceeded', 'Job was active longer than specified deadline', 'job-controller');
  }

  private finish(job: KubeObject, type: 'Complete' | 'Failed', reason: string | undefined, message: string | undefined): void {
    this.clearDeadline(job.metadata.uid);
    const time = now();
    this.store.update(JOBS, job.metadata.namespace, job.metadata.name, (j) => {
      const conditions = [{ type, status: 'True', lastProbeTime: time, lastTransitionTime: time, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }];
      j.status = { ...j.status, conditions, ...(type === 'Complete' ? { completionTime: time } : {}) };
      delete j.status.active;
    });
  }

  private clearDeadline(uid: string): void {
    const timer = this.deadlines.get(uid);
    if (timer) clearTimeout(timer);
    this.deadlines.delete(uid);
  }

  private podsOf(job: KubeObject): KubeObject[] {
    return this.store.list(PODS, job.metadata.namespace).filter((pod) => pod.metadata.labels?.['controller-uid'] === job.metadata.uid);
  }
}

function isFinished(job: KubeObject): boolean {
  return (job.status?.conditions ?? []).some((c: { type: string; status: string }) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}
