// The cluster's nodes, which the test sizes, and the scheduler's one question: does a pod fit anywhere?
import { NODES, PODS } from './resources.js';
import type { KubeObject, ObjectStore } from './store.js';

export interface NodeShape {
  name: string;
  gpus?: number;
  gpuResource?: string;
  labels?: Record<string, string>;
}

export interface NodeControl {
  /** Adds a node, or replaces its allocatable resources and labels. */
  set(node: NodeShape): void;
  remove(name: string): void;
  list(): KubeObject[];
}

export function createNodeControl(store: ObjectStore): NodeControl {
  return {
    set(shape) {
      const status = nodeStatus(shape);
      const labels = { 'kubernetes.io/hostname': shape.name, 'kubernetes.io/os': 'linux', ...shape.labels };
      const updated = store.update(NODES, undefined, shape.name, (node) => {
        node.metadata.labels = labels;
        node.status = status;
      });
      if (!updated) store.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: shape.name, labels }, spec: {}, status });
    },
    remove(name) {
      store.remove(NODES, undefined, name);
    },
    list() {
      return store.list(NODES, undefined);
    },
  };
}

function nodeStatus(shape: NodeShape): Record<string, unknown> {
  const resources: Record<string, string> = { cpu: '16', memory: '128Gi', pods: '110' };
  if (shape.gpus !== undefined) resources[shape.gpuResource ?? 'nvidia.com/gpu'] = String(shape.gpus);
  return {
    capacity: { ...resources },
    allocatable: { ...resources },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    addresses: [{ type: 'Hostname', address: shape.name }],
  };
}

/**
 * The node a pod fits on, or the scheduler's message for why none does. Only extended resources
 * (GPUs and the like) and nodeSelector are weighed: cpu and memory always fit.
 */
export function placePod(store: ObjectStore, pod: KubeObject): { node: string } | { reason: string } {
  const nodes = store.list(NODES, undefined);
  const wanted = extendedRequests(pod);
  const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
  const reasons = new Map<string, number>();
  for (const node of nodes) {
    const labels = node.metadata.labels ?? {};
    if (!Object.entries(selector).every(([key, value]) => labels[key] === value)) {
      count(reasons, "node(s) didn't match Pod's node affinity/selector");
      continue;
    }
    const used = usedOn(store, node.metadata.name);
    const short = Object.entries(wanted).find(([resource, amount]) => Number(node.status?.allocatable?.[resource] ?? 0) - (used[resource] ?? 0) < amount);
    if (short) {
      count(reasons, `Insufficient ${short[0]}`);
      continue;
    }
    return { node: node.metadata.name };
  }
  const detail = [...reasons].map(([reason, n]) => `${n} ${reason}`).sort().join(', ');
  return { reason: `0/${nodes.length} nodes are available${detail ? `: ${detail}` : ''}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} No preemption victims found for incoming pod.` };
}

function count(reasons: Map<string, number>, reason: string): void {
  reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
}

function extendedRequests(pod: KubeObject): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const container of pod.spec?.containers ?? []) {
    const requests: Record<string, string> = { ...container.resources?.limits, ...container.resources?.requests };
    for (const [resource, amount] of Object.entries(requests)) {
      if (resource.includes('/')) totals[resource] = (totals[resource] ?? 0) + Number(amount);
    }
  }
  return totals;
}

function usedOn(store: ObjectStore, nodeName: string): Record<string, number> {
  const used: Record<string, number> = {};
  for (const pod of store.list(PODS, undefined)) {
    if (pod.spec?.nodeName !== nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    for (const [resource, amount] of Object.entries(extendedRequests(pod))) used[resource] = (used[resource] ?? 0) + amount;
  }
  return used;
}
