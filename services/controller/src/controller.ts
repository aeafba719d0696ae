// Wires one controller together: store, transport, executor, scheduler and the HTTP API.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { storeTokenAuth } from './api/auth.js';
import { buildApp } from './app.js';
import { ControllerMetrics } from './metrics/controller-metrics.js';
import { observeController } from './metrics/observe-controller.js';
import { runLogger } from './log-context.js';
import { logSchedulerEvents } from './scheduler/lifecycle-log.js';
import { ConfigError, type ControllerEnv } from './config.js';
import { discoverSlots } from './executors/local/discover-slots.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Executor } from './executors/executor.js';
import { KubernetesExecutor } from './executors/kubernetes/kubernetes-executor.js';
import { admitKubernetesSpec } from './executors/kubernetes/admit-spec.js';
import { admitLlmSpec } from './mutators/llm/admit-llm-spec.js';
import { loadKubeConfig } from './executors/kubernetes/kube-config.js';
import { LocalExecutor } from './executors/local/local-executor.js';
import { Scheduler } from './scheduler/scheduler.js';
import { isLoopback, listen } from './server.js';
import type { Store } from './store/store.js';
import type { ControllerTransport } from './transport/controller-transport.js';
import { EmbeddedTransport } from './transport/embedded-transport.js';
import { NatsControllerTransport } from './transport/nats/nats-transport.js';
import { createRunTokenAuthenticator } from './transport/nats/run-token-authenticator.js';
import type { AgentChannel } from './executors/local/local-executor.js';

export interface ControllerOptions {
  store: Store;
  env: ControllerEnv;
  log: Logger;
  host: string;
  port: number;
  /** `--slots N`: N CPU slots instead of one per GPU. */
  cpuSlots: number | undefined;
  /** `open`: no token (embedded, loopback only); `tokens`: every /v1 route needs a team's API token. */
  auth: 'open' | 'tokens';
  /** Embedded mode runs only its own study; `serve` runs every active study in the database. */
  studyIds?: string[];
  /**
   * `embedded`: agents are children reporting over their IPC channel and end with the controller.
   * `nats`: standalone agents report over NATS_URL and outlive a controller restart.
   */
  transport: 'embedded' | 'nats';
  /** Where standalone agents write their own diagnostics. */
  agentLogDir?: string;
  workRoot?: string;
  /** Overrides AUTORESEARCH_EXECUTOR: processes on this machine, or Kubernetes Jobs (which need NATS). */
  executor?: 'local' | 'kubernetes';
  /** The cluster to use instead of the one the environment names (tests give their API server's). */
  kubeConfig?: KubeConfig;
}

export interface RunningController {
  app: FastifyInstance;
  scheduler: Scheduler;
  executor: Executor;
  url: string;
  /**
   * Stops taking work and closes the API. Embedded agents are ended; standalone (NATS) agents are left to
   * finish their runs, whose results the next controller ingests.
   */
  close(): Promise<void>;
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { store, env, log } = options;
  if (options.auth === 'open' && !isLoopback(options.host)) {
    throw new ConfigError(`the open (token-less) API is for loopback only; ${options.host} needs tokens (autoresearch token create)`);
  }
  const metrics = new ControllerMetrics();
  let transport: ControllerTransport & { drained?(runId: string): Promise<void> };
  let channel: AgentChannel;
  let rememberClaim: (runId: string, attempt: number, tokenHash: string) => void = () => {};
  if (options.transport === 'nats') {
    if (!env.natsUrl) throw new ConfigError('the NATS transport needs NATS_URL (for example nats://127.0.0.1:4222)');
    const authenticate = createRunTokenAuthenticator(async (runId) => {
      const run = await store.getRun(runId);
      return run ? { attempt: run.attempt, tokenHash: run.tokenHash } : null;
    });
    rememberClaim = authenticate.remember;
    transport = new NatsControllerTransport({
      servers: env.natsUrl.split(',').map((s) => s.trim()),
      authenticate,
      log,
      name: `autoresearch-controller ${env.controllerId}`,
      onRejected: (reason) => metrics.countRejected(reason),
    });
    channel = { kind: 'nats', natsUrl: env.natsUrl, logDir: options.agentLogDir ?? join(tmpdir(), 'autoresearch-agents') };
  } else {
    const embedded = new EmbeddedTransport((runId, problem) => {
      metrics.countRejected(problem);
      void store.getRun(runId).catch(() => undefined)
        .then((run) => (run ? runLogger(log, run) : log.child({ runId })).warn(`agent message rejected: ${problem}`));
    });
    transport = embedded;
    channel = { kind: 'ipc', attach: (runId, child) => embedded.attach(runId, child) };
  }
  let url = '';
  let executor: Executor;
  if ((options.executor ?? env.executor) === 'kubernetes') {
    if (options.transport !== 'nats' || !env.natsUrl) throw new ConfigError('the Kubernetes executor needs NATS: its agents report over NATS_URL');
    const settings = env.kubernetes;
    if (!settings.agentControllerUrl && settings.inCluster) {
      throw new ConfigError('the Kubernetes executor needs AUTORESEARCH_AGENT_CONTROLLER_URL, the controller Service as pods reach it (for example http://autoresearch-controller.autoresearch.svc:8420)');
    }
    executor = new KubernetesExecutor({
      kubeConfig: options.kubeConfig ?? loadKubeConfig(settings),
      settings,
      // Outside a cluster (a laptop driving one through kubectl's config) the controller's own address is the best guess.
      controllerUrl: () => settings.agentControllerUrl ?? url,
      natsUrl: settings.agentNatsUrl ?? env.natsUrl,
      log,
      modelApi: { apiKey: env.anthropic.apiKey, baseUrl: env.anthropic.baseUrl },
    });
  } else {
    executor = new LocalExecutor({
      slots: discoverSlots({ cudaVisibleDevices: env.cudaVisibleDevices, cpuSlots: options.cpuSlots }),
      channel,
      onAgentOutput: (source, line, runLog) => (runLog ?? log.child({ agent: source })).warn(`agent: ${line}`),
      baseEnv: env.agentBaseEnv,
      modelApi: { apiKey: env.anthropic.apiKey, baseUrl: env.anthropic.baseUrl },
      workRoot: options.workRoot,
      warmAgents: env.warmAgents,
    });
  }
  // Agents beat four times per timeout, so one late beat never gets a live run declared lost.
  const heartbeatSeconds = Math.max(0.5, Math.min(5, env.heartbeatTimeoutSeconds / 4));
  const scheduler = new Scheduler({
    store,
    executor,
    transport,
    log,
    controllerUrl: () => url,
    controllerId: env.controllerId,
    liveness: { timeoutSeconds: env.heartbeatTimeoutSeconds, retries: env.lostRetries },
    mutatorDeps: {
      model: { apiKey: env.anthropic.apiKey, baseUrl: env.anthropic.baseUrl, retryBudgetMs: env.anthropic.retrySeconds * 1000, log },
    },
    modelPauseSeconds: env.anthropic.pauseSeconds,
    heartbeatSeconds,
    studyIds: options.studyIds,
  });
  const app = await buildApp(
    {
      store,
      scheduler,
      auth: options.auth === 'open' ? { mode: 'open' } : storeTokenAuth(store),
      heartbeatSeconds,
      metrics,
      executor,
      controllerId: env.controllerId,
      admitSpec: (spec) => {
        admitLlmSpec(spec, env.anthropic.apiKey);
        if (executor.placement === 'pool') admitKubernetesSpec(spec);
      },
    },
    { loggerInstance: log },
  );
  scheduler.on('run.started', ({ run }) => {
    if (run.tokenHash) rememberClaim(run.id, run.attempt, run.tokenHash);
  });
  observeController(metrics, { scheduler, executor, store, log });
  logSchedulerEvents(scheduler, log);
  url = await listen(app, { host: options.host, port: options.port, fallbackToFreePort: options.port !== 0 && isLoopback(options.host) });
  await scheduler.start();
  return {
    app,
    scheduler,
    executor,
    url,
    async close() {
      await scheduler.close();
      if (options.transport === 'nats') await executor.detachAll();
      else await executor.killAll();
      await transport.close();
      await app.close();
    },
  };
}
