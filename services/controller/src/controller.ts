// Wires one controller together: store, transport, executor, scheduler and the HTTP API.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { storeTokenAuth } from './api/auth.js';
import { buildApp } from './app.js';
import { ConfigError, type ControllerEnv } from './config.js';
import { discoverSlots } from './executors/local/discover-slots.js';
import { LocalExecutor } from './executors/local/local-executor.js';
import { Scheduler } from './scheduler/scheduler.js';
import { isLoopback, listen } from './server.js';
import type { Store } from './store/store.js';
import { EmbeddedTransport } from './transport/embedded-transport.js';

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
  workRoot?: string;
}

export interface RunningController {
  app: FastifyInstance;
  scheduler: Scheduler;
  executor: LocalExecutor;
  url: string;
  /** Stops taking work and closes the API; running agents must have been stopped first. */
  close(): Promise<void>;
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { store, env, log } = options;
  if (options.auth === 'open' && !isLoopback(options.host)) {
    throw new ConfigError(`the open (token-less) API is for loopback only; ${options.host} needs tokens (autoresearch token create)`);
  }
  const transport = new EmbeddedTransport((runId, problem) => log.warn({ runId }, `agent message rejected: ${problem}`));
  const executor = new LocalExecutor({
    slots: discoverSlots({ cudaVisibleDevices: env.cudaVisibleDevices, cpuSlots: options.cpuSlots }),
    channel: { kind: 'ipc', attach: (runId, child) => transport.attach(runId, child) },
    onAgentOutput: (runId, line) => log.warn({ runId }, `agent: ${line}`),
    baseEnv: env.agentBaseEnv,
    workRoot: options.workRoot,
  });
  let url = '';
  const scheduler = new Scheduler({
    store,
    executor,
    transport,
    log,
    controllerUrl: () => url,
    controllerId: env.controllerId,
    liveness: { timeoutSeconds: env.heartbeatTimeoutSeconds, retries: env.lostRetries },
    studyIds: options.studyIds,
  });
  const app = await buildApp(
    { store, scheduler, auth: options.auth === 'open' ? { mode: 'open' } : storeTokenAuth(store) },
    { loggerInstance: log },
  );
  url = await listen(app, { host: options.host, port: options.port, fallbackToFreePort: options.port !== 0 && isLoopback(options.host) });
  await scheduler.start();
  return {
    app,
    scheduler,
    executor,
    url,
    async close() {
      await scheduler.close();
      await executor.killAll();
      await transport.close();
      await app.close();
    },
  };
}
