// The size of the GPU pool when it is not configured: the allocatable GPUs of the nodes that can take pods.
import type { V1Node, V1PodSpec } from '@kubernetes/client-node';

export function allocatableGpus(nodes: V1Node[], resource: string): number {
  let total = 0;
  for (const node of nodes) {
    const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || node.spec?.unschedulable) continue;
    const value = Number(node.status?.allocatable?.[resource] ?? 0);
    if (Number.isInteger(value) && value > 0) total += value;
  }
  return total;
}

/** GPUs a run's pod holds from the pool: its GPU limit, and at least one (a CPU-only run still takes a place). */
export function podGpus(spec: V1PodSpec | undefined, resource: string): number {
  const limit = Number(spec?.containers?.[0]?.resources?.limits?.[resource] ?? 0);
  return Number.isInteger(limit) && limit > 1 ? limit : 1;
}
