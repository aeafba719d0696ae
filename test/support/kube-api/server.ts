// A Kubernetes API server for tests, on node:http: the real paths, verbs, Status errors and watch streams
// for Jobs, Pods (and their logs), Events, Secrets and Nodes, with a simulated job controller and kubelet
// that run each Job's container as a local process.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { JobController, type PropagationPolicy } from './job-controller.js';
import { Kubelet, type Fault, type RewriteCommand } from './kubelet.js';
import { createNodeControl, type NodeControl, type NodeShape } from './nodes.js';
import { JOBS, PODS, RESOURCES, SECRETS, validateCreate } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { badRequest, KubeApiError, methodNotAllowed, success, unauthorized } from './status.js';
import { ObjectStore, type KubeObject, type ResourceType } from './store.js';
import { serveWatch } from './watch.js';

/** A Job (or its pod template) carrying this label gets the named fault. */
export const FAULT_LABEL = 'kube-api.test/fault';

export interface KubeApiServerOptions {
  /** Bearer token the server requires; random by default. */
  token?: string;
  /** Defaults to one node, `node-1`, with 8 `nvidia.com/gpu`. */
  nodes?: NodeShape[];
  /** Maps a container to the local command that stands in for it (the image is not available here). */
  rewriteCommand?: RewriteCommand;
  /** Host variables the container processes inherit; defaults to PATH, HOME, TMPDIR and LANG. */
  hostEnv?: string[];
  stepDelayMs?: number;
  faultAfterMs?: number;
  maxGraceMs?: number;
  /** Events kept for watch resumption; older versions get 410 Expired. */
  historyLimit?: number;
}

export interface FaultInjection {
  /** The next `count` Jobs created get `fault`. */
  nextJobs(count: number, fault: Fault): void;
  /** The Job with this name, whenever it is created, gets `fault`. */
  job(name: string, fault: Fault): void;
  /** Watches of this resource deliver their events `ms` late from now on (0 ends it): watches are independent streams. */
  watchLag(plural: 'jobs' | 'pods', ms: number): void;
}

export interface KubeApiServer {
  url: string;
  token: string;
  kubeConfig(namespace?: string): KubeConfig;
  nodes: NodeControl;
  inject: FaultInjection;
  close(): Promise<void>;
}

interface Route {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

const FAULTS: readonly Fault[] = ['unschedulable', 'imagePullBackOff', 'oomKilled', 'nodeLost'];

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const store = new ObjectStore(options.historyLimit ?? 1000);
  const hostEnv: Record<string, string> = {};
  for (const name of options.hostEnv ?? ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) hostEnv[name] = value;
  }
  let jobs: JobController | undefined;
  const kubelet = new Kubelet({
    store,
    hostEnv,
    stepDelayMs: options.stepDelayMs ?? 20,
    faultAfterMs: options.faultAfterMs ?? 200,
    maxGraceMs: options.maxGraceMs ?? 5000,
    onPodFinished: (pod) => jobs?.podFinished(pod),
    ...(options.rewriteCommand ? { rewriteCommand: options.rewriteCommand } : {}),
  });
  jobs = new JobController(store, kubelet);
  const jobController = jobs;
  const nodes = createNodeControl(store);
  for (const node of options.nodes ?? [{ name: 'node-1', gpus: 8 }]) nodes.set(node);

  const queuedFaults: Fault[] = [];
  const namedFaults = new Map<string, Fault>();
  const watchLags = new Map<string, number>();
  const faultFor = (job: KubeObject): Fault | undefined => {
    const labelled = job.metadata.labels?.[FAULT_LABEL] ?? job.spec?.template?.metadata?.labels?.[FAULT_LABEL];
    if (FAULTS.includes(labelled)) return labelled as Fault;
    return namedFaults.get(job.metadata.name) ?? queuedFaults.shift();
  };

  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const apiError = error instanceof KubeApiError ? error : new KubeApiError(500, 'InternalError', String(error));
      if (response.headersSent) return response.end();
      sendJson(response, apiError.code, apiError.toStatus());
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers.authorization !== `Bearer ${token}`) throw unauthorized();
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/version') return sendJson(response, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-kube-api-test' });
    const route = parseRoute(url.pathname);
    const query = url.searchParams;
    const method = request.method ?? 'GET';

    if (route.subresource === 'log' && route.type === PODS && method === 'GET') return serveLog(route, query, response);
    if (route.subresource !== undefined) throw notFoundPath(url.pathname);

    if (route.name === undefined) {
      if (method === 'GET') {
        const labels = parseLabelSelector(query.get('labelSelector'));
        const fields = parseFieldSelector(query.get('fieldSelector'));
        const matches = (object: KubeObject) => labels(object.metadata.labels) && fields(object);
        const watch = query.get('watch');
        if (watch === 'true' || watch === '1') {
          const timeout = query.get('timeoutSeconds');
          return serveWatch(
            store,
            {
              type: route.type, namespace: route.namespace, resourceVersion: query.get('resourceVersion'), timeoutSeconds: timeout ? Number(timeout) : undefined, matches,
              lagMs: () => watchLags.get(route.type.plural) ?? 0,
            },
            response,
            streams,
          );
        }
        const items = store.list(route.type, route.namespace).filter(matches).map(({ apiVersion: _a, kind: _k, ...item }) => item);
        return sendJson(response, 200, {
          kind: `${route.type.kind}List`,
          apiVersion: apiVersion(route.type),
          metadata: { resourceVersion: store.resourceVersion },
          items,
        });
      }
      if (method === 'POST') return sendJson(response, 201, create(route, await readJson(request)));
      throw methodNotAllowed();
    }

    if (method === 'GET') return sendJson(response, 200, store.mustGet(route.type, route.namespace, route.name));
    if (method === 'DELETE') {
      const body = (await readJson(request, true)) as { propagationPolicy?: string; gracePeriodSeconds?: number } | undefined;
      return remove(route, route.name, query.get('propagationPolicy') ?? body?.propagationPolicy, query.get('gracePeriodSeconds') ?? body?.gracePeriodSeconds, response);
    }
    throw methodNotAllowed();
  }

  function create(route: Route, body: unknown): KubeObject {
    if (!body || typeof body !== 'object') throw badRequest('the body of the request was in an unknown format');
    const object = structuredClone(body) as KubeObject;
    object.metadata ??= {} as KubeObject['metadata'];
    if (route.type.namespaced) {
      if (object.metadata.namespace && object.metadata.namespace !== route.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      object.metadata.namespace = route.namespace;
    }
    validateCreate(route.type, object);
    if (route.type === SECRETS && object.stringData) {
      // The API server folds stringData into data and never returns it.
      const data: Record<string, string> = { ...object.data };
      for (const [key, value] of Object.entries(object.stringData as Record<string, string>)) data[key] = Buffer.from(value, 'utf8').toString('base64');
      object.data = data;
      delete object.stringData;
    }
    if (route.type !== JOBS) return store.create(route.type, object);

    const uid = randomUUID();
    defaultJob(object, uid);
    const job = store.create(JOBS, object, uid);
    const fault = faultFor(job);
    setImmediate(() => jobController.jobCreated(job, fault));
    return job;
  }

  function remove(route: Route, name: string, policy: unknown, grace: unknown, response: ServerResponse): void {
    const existing = store.mustGet(route.type, route.namespace, name);
    if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw new KubeApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan", "nil"`);
    }
    if (route.type === JOBS) {
      // batch/v1 Jobs default to orphaning their pods (kubectl asks for Background explicitly).
      const pending = jobController.deleteJob(existing, (policy as PropagationPolicy | undefined) ?? 'Orphan');
      if (pending) return sendJson(response, 202, pending);
      return sendJson(response, 200, success({ name, group: 'batch', kind: 'jobs', uid: existing.metadata.uid }));
    }
    if (route.type === PODS) {
      const graceSeconds = grace === undefined || grace === null ? undefined : Number(grace);
      return sendJson(response, 200, kubelet.deletePod(route.namespace!, name, graceSeconds) ?? existing);
    }
    store.remove(route.type, route.namespace, name);
    return sendJson(response, 200, success({ name, group: route.type.group, kind: route.type.plural, uid: existing.metadata.uid }));
  }

  function serveLog(route: Route, query: URLSearchParams, response: ServerResponse): void {
    const pod = store.mustGet(PODS, route.namespace, route.name!);
    const containerName = query.get('container') ?? pod.spec?.containers?.[0]?.name;
    const buffer = kubelet.logsOf(route.namespace!, route.name!);
    if (!buffer) {
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating';
      throw badRequest(`container "${containerName}" in pod "${route.name}" is waiting to start: ${waiting}`);
    }
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    const tail = query.get('tailLines');
    let text = buffer.text;
    if (tail !== null) text = text.split(/(?<=\n)/).slice(-Number(tail)).join('');
    response.write(text);
    if (query.get('follow') !== 'true' || buffer.closed) return void response.end();
    const follower = (chunk: string | null) => (chunk === null ? response.end() : response.write(chunk));
    buffer.followers.add(follower);
    response.on('close', () => buffer.followers.delete(follower));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    kubeConfig(namespace = 'default') {
      const config = new KubeConfig();
      config.loadFromOptions({
        clusters: [{ name: 'kube-api-test', server: url, skipTLSVerify: true }],
        users: [{ name: 'kube-api-test', token }],
        contexts: [{ name: 'kube-api-test', cluster: 'kube-api-test', user: 'kube-api-test', namespace }],
        currentContext: 'kube-api-test',
      });
      return config;
    },
    nodes,
    inject: {
      nextJobs(count, fault) {
        for (let i = 0; i < count; i++) queuedFaults.push(fault);
      },
      job(name, fault) {
        namedFaults.set(name, fault);
      },
      watchLag(plural, ms) {
        watchLags.set(plural, ms);
      },
    },
    async close() {
      jobController.close();
      kubelet.close();
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The defaults the API server fills in on a Job, including the selector and labels tied to its uid. */
function defaultJob(job: KubeObject, uid: string): void {
  const name = job.metadata.name;
  const spec = (job.spec ??= {});
  spec.backoffLimit ??= 6;
  spec.completions ??= 1;
  spec.parallelism ??= 1;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.manualSelector ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = spec.template;
  template.metadata ??= {};
  template.metadata.labels = {
    ...template.metadata.labels,
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  template.spec.terminationGracePeriodSeconds ??= 30;
  template.spec.dnsPolicy ??= 'ClusterFirst';
  template.spec.schedulerName ??= 'default-scheduler';
  job.status = {};
}

function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    if (parts[2] !== 'v1') throw notFoundPath(pathname);
    rest = parts.slice(3);
  } else {
    throw notFoundPath(pathname);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const type = RESOURCES.find((candidate) => candidate.group === group && candidate.plural === rest[0]);
  if (!type || rest.length > 3 || (namespace !== undefined && !type.namespaced)) throw notFoundPath(pathname);
  // A namespaced resource outside a namespace can only be listed or watched (across all namespaces).
  if (namespace === undefined && type.namespaced && rest.length > 1) throw notFoundPath(pathname);
  return { type, namespace, name: rest[1], subresource: rest[2] };
}

function notFoundPath(pathname: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `the server could not find the requested resource (${pathname})`);
}

function apiVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

async function readJson(request: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    if (optional) return undefined;
    throw badRequest('the body of the request was in an unknown format');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body of the request was in an unknown format: ${(error as Error).message}`);
  }
}
