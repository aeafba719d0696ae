// Stands in for the scheduler and the kubelet: binds pods to nodes, "pulls" images, and runs the first
// container as a local process with the container's command, args and env, reporting through pod status,
// events and logs exactly where the real ones appear.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { recordEvent } from './events.js';
import { placePod } from './nodes.js';
import { PODS, SECRETS } from './resources.js';
import { now, type KubeObject, type ObjectStore } from './store.js';

export type Fault = 'unschedulable' | 'imagePullBackOff' | 'oomKilled' | 'nodeLost';

export interface RewriteContext {
  namespace: string;
  pod: string;
  /** The pod's scratch directory, the process's cwd: a stand-in for the container's workingDir. */
  workDir: string;
}

export interface RewrittenCommand {
  command: string[];
  args?: string[];
  /** Added to the process env after the container's own. */
  env?: Record<string, string>;
}

export type RewriteCommand = (container: V1Container, context: RewriteContext) => RewrittenCommand;

export interface KubeletOptions {
  store: ObjectStore;
  rewriteCommand?: RewriteCommand;
  /** Host variables the processes inherit (PATH so `sh` and `node` resolve). */
  hostEnv: Record<string, string>;
  /** Delay between steps (scheduling, pulling, starting), so watchers see each phase. */
  stepDelayMs: number;
  /** How long a container runs before an injected oomKilled or nodeLost fault hits it. */
  faultAfterMs: number;
  /** Upper bound on terminationGracePeriodSeconds, so a test is not held up for 30 s by a stubborn process. */
  maxGraceMs: number;
  onPodFinished(pod: KubeObject): void;
}

interface Container {
  process: ChildProcess;
  workDir: string;
  killedAs?: 'OOMKilled' | 'NodeLost' | 'Deleted';
  startedAt: string;
}

interface LogBuffer {
  text: string;
  followers: Set<(chunk: string | null) => void>;
  closed: boolean;
}

export class Kubelet {
  private readonly containers = new Map<string, Container>();
  private readonly logs = new Map<string, LogBuffer>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private podIp = 1;
  private closed = false;

  constructor(private readonly options: KubeletOptions) {}

  /** Takes a freshly created pod through scheduling, image pull and start. */
  admit(pod: KubeObject, fault: Fault | undefined): void {
    this.later(() => this.schedule(pod, fault));
  }

  logsOf(namespace: string, name: string): LogBuffer | undefined {
    return this.logs.get(`${namespace}/${name}`);
  }

  /**
   * Graceful deletion: mark the pod, SIGTERM its process, SIGKILL after the grace period, and remove the
   * object once the process is gone.
   */
  deletePod(namespace: string, name: string, graceSeconds?: number): KubeObject | undefined {
    const { store } = this.options;
    const id = `${namespace}/${name}`;
    const container = this.containers.get(id);
    if (!container) return this.forget(namespace, name);
    const marked = store.update(PODS, namespace, name, (pod) => {
      pod.metadata.deletionTimestamp = now();
      pod.metadata.deletionGracePeriodSeconds = graceSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    });
    container.killedAs ??= 'Deleted';
    const grace = Math.min((marked?.metadata.deletionGracePeriodSeconds as number) * 1000, this.options.maxGraceMs);
    signal(container.process, 'SIGTERM');
    this.later(() => signal(container.process, 'SIGKILL'), grace);
    return marked;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const container of this.containers.values()) {
      signal(container.process, 'SIGKILL');
      rmSync(container.workDir, { recursive: true, force: true });
    }
    for (const buffer of this.logs.values()) endLog(buffer);
  }

  private schedule(pod: KubeObject, fault: Fault | undefined): void {
    const { store } = this.options;
    const namespace = pod.metadata.namespace!;
    const name = pod.metadata.name;
    const placement = fault === 'unschedulable' ? { reason: `0/1 nodes are available: 1 node(s) had untolerated taint {kube-api.test/fault: unschedulable}.` } : placePod(store, pod);
    if ('reason' in placement) {
      const updated = store.update(PODS, namespace, name, (p) => {
        p.status = { ...p.status, phase: 'Pending', conditions: [condition('PodScheduled', 'False', 'Unschedulable', placement.reason)] };
      });
      if (updated) recordEvent(store, updated, 'Warning', 'FailedScheduling', placement.reason, 'default-scheduler');
      return;
    }
    const bound = store.update(PODS, namespace, name, (p) => {
      p.spec.nodeName = placement.node;
      p.status = { ...p.status, conditions: [condition('PodScheduled', 'True')] };
    });
    if (!bound) return;
    recordEvent(store, bound, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${placement.node}`, 'default-scheduler');
    this.later(() => this.pull(bound, fault));
  }

  private pull(pod: KubeObject, fault: Fault | undefined): void {
    const { store } = this.options;
    const container = pod.spec.containers[0] as V1Container;
    if (fault === 'imagePullBackOff') {
      const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${container.image}": not found`;
      recordEvent(store, pod, 'Normal', 'Pulling', `Pulling image "${container.image}"`, 'kubelet');
      this.waiting(pod, 'ErrImagePull', message);
      recordEvent(store, pod, 'Warning', 'Failed', `Failed to pull image "${container.image}": ${message}`, 'kubelet');
      recordEvent(store, pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet');
      this.later(() => {
        this.waiting(pod, 'ImagePullBackOff', `Back-off pulling image "${container.image}"`);
        recordEvent(store, pod, 'Normal', 'BackOff', `Back-off pulling image "${container.image}"`, 'kubelet');
        recordEvent(store, pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet');
      });
      return;
    }
    recordEvent(store, pod, 'Normal', 'Pulled', `Container image "${container.image}" already present on machine`, 'kubelet');
    const env = this.resolveEnv(pod, container);
    if (typeof env === 'string') {
      this.waiting(pod, 'CreateContainerConfigError', env);
      recordEvent(store, pod, 'Warning', 'Failed', `Error: ${env}`, 'kubelet');
      return;
    }
    this.later(() => this.start(pod, container, env, fault));
  }

  private start(pod: KubeObject, spec: V1Container, env: Record<string, string>, fault: Fault | undefined): void {
    const { store } = this.options;
    const namespace = pod.metadata.namespace!;
    const name = pod.metadata.name;
    if (!store.get(PODS, namespace, name)) return;
    const workDir = mkdtempSync(join(tmpdir(), `kube-pod-${name}-`));
    const rewritten = this.options.rewriteCommand?.(spec, { namespace, pod: name, workDir });
    const command = expand(rewritten?.command ?? spec.command ?? [], env);
    const args = expand(rewritten ? rewritten.args ?? [] : spec.args ?? [], env);
    const [file, ...rest] = [...command, ...args];
    recordEvent(store, pod, 'Normal', 'Created', `Created container ${spec.name}`, 'kubelet');
    const child = spawn(file ?? '/nonexistent-entrypoint', rest, {
      cwd: workDir,
      env: { ...env, ...rewritten?.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const id = `${namespace}/${name}`;
    const buffer: LogBuffer = { text: '', followers: new Set(), closed: false };
    this.logs.set(id, buffer);
    const append = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      buffer.text += text;
      for (const follower of buffer.followers) follower(text);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const container: Container = { process: child, workDir, startedAt: now() };
    this.containers.set(id, container);

    let finished = false;
    const finish = (exitCode: number, reason: string, message?: string) => {
      if (finished) return;
      finished = true;
      endLog(buffer);
      this.containers.delete(id);
      rmSync(workDir, { recursive: true, force: true });
      if (this.closed) return;
      this.terminated(pod, spec, container, exitCode, reason, message);
    };
    child.on('error', (error) => finish(128, 'StartError', `failed to create containerd task: exec: "${file}": ${error.message}`));
    child.on('close', (code, sig) => {
      if (container.killedAs === 'OOMKilled') return finish(137, 'OOMKilled');
      const exitCode = code ?? 128 + signalNumber(sig);
      finish(exitCode, exitCode === 0 ? 'Completed' : 'Error');
    });

    const ip = `10.244.0.${this.podIp++}`;
    const running = store.update(PODS, namespace, name, (p) => {
      p.status = {
        ...p.status,
        phase: 'Running',
        hostIP: '192.168.0.10',
        podIP: ip,
        podIPs: [{ ip }],
        startTime: p.status?.startTime ?? container.startedAt,
        conditions: [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('ContainersReady', 'True'), condition('Ready', 'True')],
        containerStatuses: [
          { name: spec.name, image: spec.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: container.startedAt } } },
        ],
      };
    });
    if (running) recordEvent(store, running, 'Normal', 'Started', `Started container ${spec.name}`, 'kubelet');
    if (fault === 'oomKilled' || fault === 'nodeLost') this.later(() => this.strike(pod, container, fault), this.options.faultAfterMs);
  }

  private strike(pod: KubeObject, container: Container, fault: 'oomKilled' | 'nodeLost'): void {
    if (!this.containers.has(`${pod.metadata.namespace}/${pod.metadata.name}`)) return;
    container.killedAs = fault === 'oomKilled' ? 'OOMKilled' : 'NodeLost';
    signal(container.process, 'SIGKILL');
  }

  private terminated(pod: KubeObject, spec: V1Container, container: Container, exitCode: number, reason: string, message?: string): void {
    const { store } = this.options;
    const namespace = pod.metadata.namespace!;
    const name = pod.metadata.name;
    if (container.killedAs === 'NodeLost') {
      // The node stopped reporting: the container status stays as last seen, the node controller fails
      // and then deletes the pod.
      const lost = store.update(PODS, namespace, name, (p) => {
        p.status = {
          ...p.status,
          phase: 'Failed',
          reason: 'NodeLost',
          message: `Node ${p.spec.nodeName} which was running pod ${name} is unresponsive`,
          conditions: [...(p.status?.conditions ?? []).filter((c: { type: string }) => c.type !== 'Ready'), condition('Ready', 'Unknown', 'NodeStatusUnknown'), condition('DisruptionTarget', 'True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint')],
        };
      });
      if (!lost) return;
      recordEvent(store, lost, 'Warning', 'NodeNotReady', 'Node is not ready', 'node-controller');
      this.options.onPodFinished(lost);
      this.forget(namespace, name);
      return;
    }
    const finishedAt = now();
    const final = store.update(PODS, namespace, name, (p) => {
      p.status = {
        ...p.status,
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        conditions: (p.status?.conditions ?? []).map((c: { type: string }) => (c.type === 'Ready' || c.type === 'ContainersReady' ? condition(c.type, 'False', 'PodCompleted') : c)),
        containerStatuses: [
          {
            name: spec.name,
            image: spec.image,
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: { terminated: { exitCode, reason, ...(message ? { message } : {}), startedAt: container.startedAt, finishedAt, containerID: `containerd://${pod.metadata.uid}` } },
          },
        ],
      };
    });
    if (!final) return;
    if (reason === 'StartError') recordEvent(store, final, 'Warning', 'Failed', `Error: ${message}`, 'kubelet');
    if (container.killedAs === 'Deleted') {
      this.forget(namespace, name);
      return;
    }
    this.options.onPodFinished(final);
  }

  private forget(namespace: string, name: string): KubeObject | undefined {
    const id = `${namespace}/${name}`;
    const buffer = this.logs.get(id);
    if (buffer) endLog(buffer);
    this.logs.delete(id);
    return this.options.store.remove(PODS, namespace, name);
  }

  private waiting(pod: KubeObject, reason: string, message: string): void {
    const container = pod.spec.containers[0] as V1Container;
    this.options.store.update(PODS, pod.metadata.namespace, pod.metadata.name, (p) => {
      p.status = {
        ...p.status,
        phase: 'Pending',
        conditions: [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('ContainersReady', 'False', 'ContainersNotReady', `containers with unready status: [${container.name}]`), condition('Ready', 'False', 'ContainersNotReady', `containers with unready status: [${container.name}]`)],
        containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason, message } } }],
      };
    });
  }

  /** The container's env as the kubelet builds it, or the CreateContainerConfigError message. */
  private resolveEnv(pod: KubeObject, container: V1Container): Record<string, string> | string {
    const env: Record<string, string> = { ...this.options.hostEnv, HOSTNAME: pod.metadata.name };
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) env[variable.name] = expandOne(variable.value, env);
      const secretRef = variable.valueFrom?.secretKeyRef;
      if (secretRef) {
        const secret = this.options.store.get(SECRETS, pod.metadata.namespace, secretRef.name ?? '');
        const data = secret?.data?.[secretRef.key];
        if (secret && data !== undefined) env[variable.name] = Buffer.from(data, 'base64').toString('utf8');
        else if (secretRef.optional) continue;
        else if (!secret) return `secret "${secretRef.name}" not found`;
        else return `couldn't find key ${secretRef.key} in Secret ${pod.metadata.namespace}/${secretRef.name}`;
      }
      const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
      if (fieldPath === 'metadata.name') env[variable.name] = pod.metadata.name;
      if (fieldPath === 'metadata.namespace') env[variable.name] = pod.metadata.namespace ?? '';
    }
    return env;
  }

  private later(action: () => void, delayMs = this.options.stepDelayMs): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) action();
    }, delayMs);
    this.timers.add(timer);
  }
}

function condition(type: string, status: string, reason?: string, message?: string): Record<string, string> {
  const time = now();
  return { type, status, lastTransitionTime: time, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** `$(VAR)` references in command and args, expanded from the container env as the kubelet does. */
function expand(parts: string[], env: Record<string, string>): string[] {
  return parts.map((part) => expandOne(part, env));
}

function expandOne(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => (name === undefined ? '$' : env[name] ?? match));
}

function endLog(buffer: LogBuffer): void {
  if (buffer.closed) return;
  buffer.closed = true;
  for (const follower of buffer.followers) follower(null);
  buffer.followers.clear();
}

/** Signals the whole process group, so `sh -c` children die with their shell. */
function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, name);
  } catch {
    child.kill(name);
  }
}

function signalNumber(name: NodeJS.Signals | null): number {
  return name === 'SIGKILL' ? 9 : name === 'SIGTERM' ? 15 : name === 'SIGINT' ? 2 : 1;
}
