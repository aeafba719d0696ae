// Runs each run's agent as a Kubernetes Job, and watches every run Job of the namespace, whichever
// controller replica created it, so that any replica can tell how a run ended.
//
// Level-triggered, like a Kubernetes controller: watches (informers) keep a cache of Jobs and pods, and a
// reconcile pass compares each Job's observed state (observe-run.ts) with what was last reported. A missed
// event therefore delays a finding but never loses it, and a restarted controller reaches the same
// conclusions from the cache it rebuilds.
import {
  BatchV1Api,
  CoreV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubernetesSettings } from '../../config.js';
import type { OnAgentGone, PoolCapacity, PoolExecutor, RunLaunch, RunVerdict } from '../executor.js';
import { buildRunJob, buildRunTokenSecret, EXPERIMENT_ID_ANNOTATION } from './build-job.js';
import { allocatableGpus, podGpus } from './gpu-pool.js';
import { describeKubeError, kubeCall, KubeCallError } from './kube-calls.js';
import { runJobName, runTokenSecretName, toLabelValue } from './names.js';
import { observeRun, sameProblem, type RunObservation, type SeenPod, type StartProblem } from './observe-run.js';

/** Every run Job and pod carries these (see runLabels); the watches see nothing else. */
const RUN_SELECTOR = 'app.kubernetes.io/managed-by=autoresearch,app.kubernetes.io/name=autoresearch-agent';
const RUN_LABEL = 'autoresearch.dev/run';
const ATTEMPT_LABEL = 'autoresearch.dev/attempt';
const STUDY_LABEL = 'autoresearch.dev/study';
/** A token Secret without its Job is left this long: another replica may be between creating the two. */
const STRAY_SECRET_AGE_MS = 10 * 60_000;
/** How long a failed Job whose pod is already gone waits for the pod watch to bring that pod's last status. */
const POD_WATCH_GRACE_MS = 10_000;

export interface KubernetesExecutorOptions {
  kubeConfig: KubeConfig;
  settings: KubernetesSettings;
  /** The controller and NATS as agents inside the cluster reach them. */
  controllerUrl: () => string;
  natsUrl: string;
  log: Logger;
  reconcileIntervalMs?: number;
  nodeRefreshMs?: number;
  /** Delay before a failed watch is started again. */
  rewatchDelayMs?: number;
  /** The model API, for the agents of skill runs (the key goes into each such run's Secret). */
  modelApi?: { apiKey: string | undefined; baseUrl: string | undefined };
}

interface Launching {
  runId: string;
  attempt: number;
  gpus: number;
}

interface RunIds {
  runId: string;
  attempt: number;
}

export class KubernetesExecutor implements PoolExecutor {
  readonly kind = 'kubernetes';
  readonly placement = 'pool';
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  private jobs: (Informer<V1Job> & ObjectCache<V1Job>) | null = null;
  private pods: (Informer<V1Pod> & ObjectCache<V1Pod>) | null = null;
  /** Jobs being created, by name, until the watch shows them: they hold their GPUs already. */
  private readonly launching = new Map<string, Launching>();
  /** The last state seen of each Job's pod, by Job name, kept after the pod is deleted. */
  private readonly seenPods = new Map<string, SeenPod>();
  /** Job uid → since when its failure waits for its pod's last status on the pod watch. */
  private readonly awaitingPod = new Map<string, number>();
  /** A start problem first seen at `since`, by Job uid. */
  private readonly problems = new Map<string, { problem: StartProblem; since: number }>();
  /** Job uids whose end was reported or that this executor deleted: nothing more to say about them. */
  private readonly settled = new Set<string>();
  /** Who hears of each Job's end: the launcher's callback, else the one given to start(). */
  private readonly callbacks = new Map<string, OnAgentGone>();
  /** The scheduler's logger of each run launched here, by Job name, until its Job is gone. */
  private readonly runLogs = new Map<string, Logger>();
  private sink: OnAgentGone = () => {};
  private discoveredGpus = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<void> | null = null;
  private reconcileAgain = false;
  private closed = false;

  constructor(private readonly options: KubernetesExecutorOptions) {
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = options.settings.namespace;
  }

  capacity(): PoolCapacity {
    const { gpuResource } = this.options.settings;
    const holders: { runId: string; gpus: number }[] = [];
    // Pods first: one that has not exited holds its GPU, even once its Job is gone.
    const jobsWithPods = new Set<string>();
    for (const pod of this.pods?.list() ?? []) {
      const jobName = jobNameOf(pod);
      const ids = runOf(pod);
      if (jobName) jobsWithPods.add(jobName);
      if (!ids || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      holders.push({ runId: ids.runId, gpus: podGpus(pod.spec, gpuResource) });
    }
    // Then Jobs whose pod is about to be made, and Jobs still being created.
    const jobs = new Set<string>();
    for (const job of this.jobs?.list() ?? []) {
      const name = job.metadata?.name ?? '';
      jobs.add(name);
      const ids = runOf(job);
      if (!ids || jobsWithPods.has(name) || observeRun(job, this.seenPods.get(name)).phase === 'ended') continue;
      holders.push({ runId: ids.runId, gpus: podGpus(job.spec?.template?.spec, gpuResource) });
    }
    for (const [name, launching] of this.launching) {
      if (!jobs.has(name)) holders.push({ runId: launching.runId, gpus: launching.gpus });
    }
    const busy = holders.reduce((sum, holder) => sum + holder.gpus, 0);
    return { name: 'kubernetes', total: this.options.settings.gpus ?? this.discoveredGpus, holders, busy };
  }

  async start(onGone: OnAgentGone, isLive: (runId: string, attempt: number) => Promise<boolean>): Promise<void> {
    this.sink = onGone;
    const { settings, log } = this.options;
    if (settings.gpus === undefined) {
      await this.refreshGpus(true);
      this.every(this.options.nodeRefreshMs ?? 30_000, () => void this.refreshGpus(false));
    }
    const kc = this.options.kubeConfig;
    this.pods = makeInformer(kc, `/api/v1/namespaces/${this.namespace}/pods`, () => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: RUN_SELECTOR }), RUN_SELECTOR);
    this.jobs = makeInformer(kc, `/apis/batch/v1/namespaces/${this.namespace}/jobs`, () => this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector: RUN_SELECTOR }), RUN_SELECTOR);
    this.pods.on('add', (pod) => this.podSeen(pod, false));
    this.pods.on('update', (pod) => this.podSeen(pod, false));
    this.pods.on('delete', (pod) => this.podSeen(pod, true));
    this.jobs.on('add', () => this.reconcileSoon());
    this.jobs.on('update', () => this.reconcileSoon());
    this.jobs.on('delete', (job) => this.jobDeleted(job));
    for (const informer of [this.pods, this.jobs] as Informer<KubernetesObject>[]) {
      informer.on('error', (error: unknown) => {
        if (this.closed) return;
        log.warn({ err: error }, `Kubernetes watch failed; watching again in ${this.options.rewatchDelayMs ?? 2000} ms`);
        const timer = setTimeout(() => {
          informer.start().catch((e: unknown) => log.warn({ err: e }, 'Kubernetes watch restart failed; the next error retries'));
        }, this.options.rewatchDelayMs ?? 2000);
        this.timers.push(timer);
      });
    }
    try {
      // Pods first: the first reconcile must not mistake a running Job for one whose pod is missing.
      await this.pods.start();
      await this.jobs.start();
    } catch (error) {
      throw new KubeCallError(`could not watch Jobs and pods in namespace ${this.namespace}: ${describeKubeError(error)}`, true);
    }
    for (const pod of this.pods.list()) this.podSeen(pod, false);
    await this.collectOrphans(isLive);
    this.every(this.options.reconcileIntervalMs ?? 1000, () => this.reconcileSoon());
    this.reconcileSoon();
    log.info({ namespace: this.namespace, gpus: this.capacity().total, adopted: this.jobs.list().length }, 'Kubernetes executor watching run Jobs');
  }

  launch(run: RunLaunch, onGone: OnAgentGone): void {
    const { settings } = this.options;
    const name = runJobName(run.runId, run.attempt);
    const ids = { runId: run.runId, attempt: run.attempt };
    let job: V1Job;
    try {
      job = buildRunJob({
        run: {
          runId: run.runId, attempt: run.attempt, studyId: run.studyId, branchIndex: run.branchIndex, experimentNumber: run.experimentNumber, experimentId: run.experimentId,
        },
        spec: run.spec,
        stage: run.stage,
        namespace: this.namespace,
        controllerUrl: this.options.controllerUrl(),
        natsUrl: this.options.natsUrl,
        tokenSecretName: runTokenSecretName(run.runId, run.attempt),
        modelApiBaseUrl: this.options.modelApi?.baseUrl,
        minStartupAllowanceSeconds: settings.startTimeoutSeconds + 60,
      });
    } catch (error) {
      // The study's own settings cannot make a Job: every run of it would fail the same way.
      const reason = `no Job could be built for the run: ${error instanceof Error ? error.message : String(error)}`;
      queueMicrotask(() => onGone(ids, { exitCode: null, signal: null, lastOutput: [], verdict: { status: 'crashed', reason } }));
      return;
    }
    if (run.log) this.runLogs.set(name, run.log);
    this.launching.set(name, { ...ids, gpus: podGpus(job.spec?.template?.spec, settings.gpuResource) });
    this.callbacks.set(name, onGone);
    this.track(this.create(ids, name, job, run.token, run.spec.flavor === 'skill' ? this.options.modelApi?.apiKey : undefined));
  }

  isStarting(run: RunIds): boolean {
    const name = runJobName(run.runId, run.attempt);
    const job = this.jobs?.get(name, this.namespace);
    if (!job) return this.launching.has(name);
    return observeRun(job, this.seenPods.get(name)).phase === 'starting';
  }

  abandon(run: RunIds): void {
    const name = runJobName(run.runId, run.attempt);
    const job = this.jobs?.get(name, this.namespace);
    if (job?.metadata?.uid) this.settled.add(job.metadata.uid);
    this.callbacks.delete(name);
    this.track(this.deleteRunObjects(name, run, 'abandoned'));
  }

  async studyStopped(studyId: string): Promise<void> {
    const label = toLabelValue(studyId);
    const deletions = (this.jobs?.list() ?? [])
      .filter((job) => job.metadata?.labels?.[STUDY_LABEL] === label)
      .map((job) => {
        const ids = runOf(job);
        if (!ids) return Promise.resolve();
        if (job.metadata?.uid) this.settled.add(job.metadata.uid);
        return this.deleteRunObjects(job.metadata!.name!, ids, 'its study stopped');
      });
    await Promise.all(deletions);
  }

  /** Deletes the Jobs this process launched that have not ended, then stops watching. */
  async killAll(): Promise<void> {
    const mine = [...this.callbacks.keys()];
    await Promise.all([...this.inFlight]);
    await Promise.all(
      mine.map((name) => {
        const job = this.jobs?.get(name, this.namespace);
        const ids = job ? runOf(job) : this.launching.get(name);
        return ids ? this.deleteRunObjects(name, ids, 'the controller shut down') : Promise.resolve();
      }),
    );
    await this.detachAll();
  }

  /** Stops watching and leaves every Job running: the next controller adopts them. */
  async detachAll(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all([...this.inFlight]);
    await this.reconciling;
    await this.jobs?.stop();
    await this.pods?.stop();
  }

  private async create(ids: RunIds, name: string, job: V1Job, token: string, modelApiKey: string | undefined): Promise<void> {
    const what = `run ${ids.runId} attempt ${ids.attempt}`;
    try {
      await kubeCall(`create the token Secret of ${what}`, () =>
        this.core.createNamespacedSecret({ namespace: this.namespace, body: buildRunTokenSecret({ ...ids, token, namespace: this.namespace, modelApiKey }) }),
        { alreadyExistsOk: true },
      );
      await kubeCall(`create the Job of ${what}`, () => this.batch.createNamespacedJob({ namespace: this.namespace, body: job }), { alreadyExistsOk: true });
      this.runLog(name, ids).info({ job: name }, 'run Job created');
      this.reconcileSoon();
    } catch (error) {
      this.launching.delete(name);
      const reason = error instanceof Error ? error.message : String(error);
      this.runLog(name, ids).error({ job: name }, reason);
      this.runLogs.delete(name);
      // Unreachable or overloaded: run it again later. Refused (RBAC, quota, admission): retrying the same
      // request cannot help, so the run fails with the server's words.
      const transient = error instanceof KubeCallError && error.transient;
      await this.deleteSecret(ids);
      this.report(name, ids, { status: 'lost', reason, retry: transient }, null, null, []);
    }
  }

  private podSeen(pod: V1Pod, deleted: boolean): void {
    const jobName = jobNameOf(pod);
    if (!jobName) return;
    if (deleted && !this.jobs?.get(jobName, this.namespace)) {
      // The pod of a Job already gone: nothing left to judge.
      this.seenPods.delete(jobName);
      return;
    }
    const previous = this.seenPods.get(jobName);
    // A Job that made a replacement pod: the newest pod is the one that counts.
    const newer = !previous || previous.pod.metadata?.uid === pod.metadata?.uid || created(pod) >= created(previous.pod);
    if (newer) this.seenPods.set(jobName, { pod, deleted });
    this.reconcileSoon();
  }

  private jobDeleted(job: V1Job): void {
    const uid = job.metadata?.uid ?? '';
    const name = job.metadata?.name ?? '';
    const ids = runOf(job);
    if (ids && !this.settled.has(uid)) {
      this.settled.add(uid);
      this.report(name, ids, { status: 'lost', reason: 'the Job was deleted before its run ended', retry: true }, null, null, []);
      void this.deleteSecret(ids);
    }
    this.settled.delete(uid);
    this.problems.delete(uid);
    this.awaitingPod.delete(uid);
    this.seenPods.delete(name);
    this.runLogs.delete(name);
  }

  private reconcileSoon(): void {
    if (this.closed || !this.jobs) return;
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = this.reconcile()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'reconciling run Jobs failed; trying again on the next pass'))
      .finally(() => {
        this.reconciling = null;
        if (this.reconcileAgain) {
          this.reconcileAgain = false;
          this.reconcileSoon();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const now = Date.now();
    const timeoutMs = this.options.settings.startTimeoutSeconds * 1000;
    for (const job of this.jobs?.list() ?? []) {
      const name = job.metadata?.name ?? '';
      const uid = job.metadata?.uid ?? '';
      this.launching.delete(name);
      const ids = runOf(job);
      // The list is a snapshot and this loop awaits: a Job deleted meanwhile is the delete handler's.
      if (!ids || this.settled.has(uid) || this.jobs?.get(name, this.namespace)?.metadata?.uid !== uid) continue;
      const observed = await this.observeWithFreshPod(job, observeRun(job, this.seenPods.get(name)), now);
      if (observed === 'wait') continue;
      if (observed.phase === 'running') {
        this.problems.delete(uid);
        continue;
      }
      if (observed.phase === 'starting') {
        if (!observed.problem) {
          this.problems.delete(uid);
          continue;
        }
        const known = this.problems.get(uid);
        if (!known || !sameProblem(known.problem, observed.problem)) {
          this.problems.set(uid, { problem: observed.problem, since: now });
          this.runLog(name, ids).warn({ job: name, reason: observed.problem.reason }, `run pod not starting: ${observed.problem.message}`);
          continue;
        }
        this.problems.set(uid, { problem: observed.problem, since: known.since });
        if (now - known.since < timeoutMs) continue;
        const { settings } = this.options;
        const verdict: RunVerdict = {
          status: 'lost',
          reason: `${observed.problem.reason} for ${settings.startTimeoutSeconds} s: ${observed.problem.message}`,
          retry: settings.onStartTimeout === 'retry',
        };
        this.settled.add(uid);
        this.problems.delete(uid);
        await this.deleteRunObjects(name, ids, observed.problem.reason);
        this.report(name, ids, verdict, null, null, []);
        continue;
      }
      this.settled.add(uid);
      this.problems.delete(uid);
      const lastOutput = observed.verdict ? [] : await this.logTail(name);
      this.report(name, ids, observed.verdict, observed.exitCode, observed.signal, lastOutput);
      await this.deleteSecret(ids);
    }
  }

  /**
   * The Job and pod watches deliver independently: the job controller fails a Job because its pod failed
   * (a lost node, the OOM killer), yet the Job's event can arrive first. Judged on the Job alone, that
   * would read as a plain Job failure; so a Job that failed while its pod was not yet seen to end is judged
   * again on its pod as the API server has it now. A pod already deleted (a lost node's pod is) is waited
   * for on the watch, whose DELETED event carries its last status, for at most POD_WATCH_GRACE_MS.
   */
  private async observeWithFreshPod(job: V1Job, observed: RunObservation, now: number): Promise<RunObservation | 'wait'> {
    const name = job.metadata?.name ?? '';
    const uid = job.metadata?.uid ?? '';
    const seen = this.seenPods.get(name);
    const phase = seen?.pod.status?.phase;
    if (observed.phase !== 'ended' || !observed.verdict || seen?.deleted || phase === 'Failed' || phase === 'Succeeded') {
      this.awaitingPod.delete(uid);
      return observed;
    }
    let pods: V1Pod[] = [];
    try {
      const list = await kubeCall(`list the pods of the Job ${name}`, () =>
        this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` }));
      pods = list?.items ?? [];
    } catch (error) {
      const ids = runOf(job);
      (ids ? this.runLog(name, ids) : this.options.log).warn({ err: error, job: name }, 'could not read the pods of a failed Job; judging it on the Job alone');
    }
    const pod = pods.sort((a, b) => created(b) - created(a))[0];
    if (pod) {
      this.awaitingPod.delete(uid);
      if (this.seenPods.get(name) === seen) this.seenPods.set(name, { pod, deleted: false });
      return observeRun(job, { pod, deleted: false });
    }
    const since = this.awaitingPod.get(uid) ?? now;
    if (now - since >= POD_WATCH_GRACE_MS) {
      this.awaitingPod.delete(uid);
      return observed;
    }
    this.awaitingPod.set(uid, since);
    setTimeout(() => this.reconcileSoon(), POD_WATCH_GRACE_MS - (now - since) + 10).unref();
    return 'wait';
  }

  private report(name: string, ids: RunIds, verdict: RunVerdict | undefined, exitCode: number | null, signal: string | null, lastOutput: string[]): void {
    const callback = this.callbacks.get(name) ?? this.sink;
    this.callbacks.delete(name);
    callback(ids, { exitCode, signal, lastOutput, ...(verdict ? { verdict } : {}) });
  }

  /**
   * Jobs that no running run owns (their run ended or was requeued while no controller watched) are
   * deleted; Jobs of running runs are adopted simply by being watched.
   */
  private async collectOrphans(isLive: (runId: string, attempt: number) => Promise<boolean>): Promise<void> {
    for (const job of this.jobs?.list() ?? []) {
      const ids = runOf(job);
      if (!ids || observeRun(job, this.seenPods.get(job.metadata?.name ?? '')).phase === 'ended') continue;
      if (await isLive(ids.runId, ids.attempt)) continue;
      this.runLog(job.metadata?.name ?? '', ids).warn({ job: job.metadata?.name }, 'deleting an orphaned run Job (its run is not running)');
      if (job.metadata?.uid) this.settled.add(job.metadata.uid);
      await this.deleteRunObjects(job.metadata!.name!, ids, 'orphaned');
    }
    const secrets = await kubeCall('list token Secrets', () => this.core.listNamespacedSecret({ namespace: this.namespace, labelSelector: 'app.kubernetes.io/managed-by=autoresearch' }));
    for (const secret of secrets?.items ?? []) {
      const name = secret.metadata?.name ?? '';
      const age = Date.now() - new Date(secret.metadata?.creationTimestamp ?? Date.now()).getTime();
      if (!name.endsWith('-token') || age < STRAY_SECRET_AGE_MS || this.jobs?.get(name.slice(0, -'-token'.length), this.namespace)) continue;
      await kubeCall(`delete the stray Secret ${name}`, () => this.core.deleteNamespacedSecret({ namespace: this.namespace, name }), { notFoundOk: true })
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'could not delete a stray token Secret'));
    }
  }

  private async deleteRunObjects(name: string, ids: RunIds, why: string): Promise<void> {
    this.launching.delete(name);
    try {
      // Background: the Job goes now and the garbage collector takes its pod, whose agent gets SIGTERM.
      await kubeCall(`delete Job ${name}`, () => this.batch.deleteNamespacedJob({ namespace: this.namespace, name, propagationPolicy: 'Background' }), { notFoundOk: true });
      this.runLog(name, ids).info({ job: name, why }, 'run Job deleted');
    } catch (error) {
      this.runLog(name, ids).error({ err: error, job: name }, 'could not delete a run Job; it ends at its activeDeadlineSeconds');
    }
    await this.deleteSecret(ids);
  }

  private async deleteSecret(ids: RunIds): Promise<void> {
    const name = runTokenSecretName(ids.runId, ids.attempt);
    await kubeCall(`delete Secret ${name}`, () => this.core.deleteNamespacedSecret({ namespace: this.namespace, name }), { notFoundOk: true })
      .catch((error: unknown) => this.runLog(runJobName(ids.runId, ids.attempt), ids).warn({ err: error, secret: name }, 'could not delete a token Secret; the next controller start sweeps it'));
  }

  /** What is said about a run's Job: on the scheduler's logger if launched here, else bound from the Job itself. */
  private runLog(name: string, ids: RunIds): Logger {
    const bound = this.runLogs.get(name);
    if (bound) return bound;
    const metadata = this.jobs?.get(name, this.namespace)?.metadata;
    return this.options.log.child({
      studyId: metadata?.labels?.[STUDY_LABEL], experimentId: metadata?.annotations?.[EXPERIMENT_ID_ANNOTATION], runId: ids.runId, attempt: ids.attempt,
    });
  }

  /** The agent's last words, for a run whose agent failed without reporting. */
  private async logTail(jobName: string): Promise<string[]> {
    const pod = this.seenPods.get(jobName)?.pod.metadata?.name;
    if (!pod) return [];
    try {
      const log = await this.core.readNamespacedPodLog({ namespace: this.namespace, name: pod, tailLines: 5 });
      return String(log).split('\n').filter((line) => line.trim() !== '');
    } catch {
      return [];
    }
  }

  private async refreshGpus(first: boolean): Promise<void> {
    const { settings, log } = this.options;
    try {
      const nodes = await kubeCall('list nodes', () => this.core.listNode());
      const gpus = allocatableGpus(nodes?.items ?? [], settings.gpuResource);
      if (gpus !== this.discoveredGpus || first) log.info({ gpus, resource: settings.gpuResource }, 'GPU pool discovered from the nodes');
      if (gpus === 0 && first) log.warn(`no Ready node has allocatable ${settings.gpuResource}: no run can start (set AUTORESEARCH_K8S_GPUS to size the pool yourself)`);
      this.discoveredGpus = gpus;
    } catch (error) {
      const message = `${error instanceof Error ? error.message : String(error)}; set AUTORESEARCH_K8S_GPUS, or let the controller list nodes`;
      if (first) throw new KubeCallError(message, false);
      log.warn(`${message} (keeping the pool at ${this.discoveredGpus} GPUs)`);
    }
  }

  private every(ms: number, action: () => void): void {
    const timer = setInterval(action, ms);
    this.timers.push(timer);
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }
}

function runOf(job: V1Job | V1Pod): RunIds | undefined {
  const labels = job.metadata?.labels ?? {};
  const runId = labels[RUN_LABEL];
  const attempt = Number(labels[ATTEMPT_LABEL]);
  return runId && Number.isSafeInteger(attempt) ? { runId, attempt } : undefined;
}

function jobNameOf(pod: V1Pod): string | undefined {
  return pod.metadata?.labels?.['job-name'] ?? pod.metadata?.ownerReferences?.find((o) => o.kind === 'Job')?.name;
}

function created(object: KubernetesObject): number {
  return new Date(object.metadata?.creationTimestamp ?? 0).getTime();
}
