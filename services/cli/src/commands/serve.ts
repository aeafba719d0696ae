// `autoresearch serve`: a long-running controller for every active study in its database.
import { join } from 'node:path';
import pino from 'pino';
import type { ControllerEnv } from '../../../controller/src/config.js';
import { startController } from '../../../controller/src/controller.js';
import { describeCapacity } from '../../../controller/src/executors/executor.js';
import { openStore } from '../../../controller/src/store/open-store.js';
import { EXIT } from '../exit-codes.js';

export interface ServeOptions {
  host: string;
  port: number;
  slots?: number;
  dataDir: string;
  /** Overrides AUTORESEARCH_EXECUTOR. */
  executor?: 'local' | 'kubernetes';
}

export async function serveCommand(options: ServeOptions, env: ControllerEnv): Promise<number> {
  const log = pino({ level: env.logLevel });
  const store = await openStore(env.databaseUrl ? { databaseUrl: env.databaseUrl } : { pgliteDir: options.dataDir });
  try {
    const transport = env.natsUrl ? 'nats' : 'embedded';
    if (transport === 'embedded') {
      // Without NATS the agents ended with the last controller process: their runs go back to the queue.
      // (Several controllers on one database need NATS, whose standalone agents outlive a restart.)
      for (const study of await store.listStudiesByStatus(['running', 'paused', 'stopping'])) {
        const requeued = await store.requeueUnfinishedRuns(study.id);
        if (requeued > 0) log.info({ studyId: study.id, requeued }, 'requeued runs cut off by the last shutdown');
      }
    }
    const controller = await startController({
      store, env, log, host: options.host, port: options.port, cpuSlots: options.slots, auth: 'tokens', transport,
      agentLogDir: join(options.dataDir, 'agents'), executor: options.executor,
    });
    log.info({ url: controller.url, executor: controller.executor.kind, runsOn: describeCapacity(controller.executor), database: store.driver, transport, controllerId: env.controllerId }, 'controller serving');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info(transport === 'nats' ? 'shutting down: standalone agents and run Jobs finish their runs and report to the next controller' : 'shutting down: agents are stopped, their runs go back to the queue on the next start');
    await controller.close();
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
