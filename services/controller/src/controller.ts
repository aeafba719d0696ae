// Wires one controller together: store, transport, executor, scheduler and the HTTP API.
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { sha256Hex } from './api/auth.js';
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
  if (!isLoopback(options.host) && env.apiTokens.length === 0) {
    throw new ConfigError(`listening on ${options.host} needs API tokens: set AUTORESEARCH_API_TOKENS (loopback alone may run without)`);
  }
  const transport = new EmbeddedTransport((runId, problem) => log.warn({ runId }, `agent message rejected: ${problem}`));
  const executor = new LocalExecutor({
    slots: discoverSlots({ cudaVisibleDevices: env.cudaVisibleDevices, cpuSlots: options.cpuSlots }),
    attachChannel: (runId, child) => transport.attach(runId, child),
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
    host: hostname(),
    studyIds: options.studyIds,
  });
  const app = await buildApp(
    { store, scheduler, auth: { apiTokenHashes: env.apiTokens.map(sha256Hex) } },
    { loggerInstance: log },
  );
  url = await listen(app, { host: options.host, port: options.port, fallbackToFreePort: options.port !== 0 && isLoopback(options.host) });
  scheduler.start();
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
