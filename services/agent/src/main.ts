// The agent: one process per run. Started by the controller as a child process (embedded mode, possibly
// ahead of its run as a warm standby: standby.ts) or in a Kubernetes pod; it fetches its assignment,
// runs it, reports, and exits.
//   exit 0: a result was delivered, whatever the run's status
//   exit 1: no result could be delivered (assignment refused or unreachable, controller gone)
//   exit 2: bad arguments or environment
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadAgentConfig, type AgentConfig } from './config.js';
import { AgentConfigError, TransportClosedError } from './errors.js';
import { executeRun } from './execute-run.js';
import { checkAssignment, fetchAssignment } from './fetch-assignment.js';
import { awaitStandbyRun, isStandby } from './standby.js';
import { createIpcTransport } from './transport/ipc-transport.js';
import type { AgentTransport } from './transport/transport.js';

export const EXIT_DELIVERED = 0;
export const EXIT_NOT_DELIVERED = 1;
export const EXIT_USAGE = 2;

/** Runs one agent to the end and returns its exit code. */
export async function runAgent(argv: readonly string[]): Promise<number> {
  let config: AgentConfig;
  let handedOver: unknown;
  try {
    if (isStandby(argv)) {
      const standby = await awaitStandbyRun(argv);
      if (standby === null) return EXIT_DELIVERED; // dismissed before any run was given: nothing to report
      config = loadAgentConfig(standby.argv, { token: standby.token });
      if (standby.modelApi !== undefined) config = { ...config, modelApi: standby.modelApi };
      handedOver = standby.assignment;
    } else {
      config = loadAgentConfig(argv);
    }
  } catch (error) {
    return fail(error, 'agent', EXIT_USAGE);
  }
  const warn = (problem: string) => process.stderr.write(`autoresearch-agent[${config.runId}]: ${problem}\n`);

  let transport: AgentTransport;
  try {
    transport =
      config.transport === 'nats' && config.natsUrl !== undefined
        ? // Loaded only when used: an embedded agent should not pay for the NATS client at every start.
          (await import('./transport/nats-transport.js')).createNatsTransport({
            servers: config.natsUrl,
            runId: config.runId,
            token: config.token,
            workRoot: config.workRoot,
            resultGiveUpMs: config.resultGiveUpSeconds * 1000,
            warn,
          })
        : createIpcTransport(warn);
  } catch (error) {
    return fail(error, config.runId, EXIT_USAGE);
  }

  // The controller may vanish before the assignment is even here; then there is nothing to run for.
  const lost = new AbortController();
  transport.onLost((reason) => lost.abort(reason));
  // SIGTERM (a pod being evicted, a controller shutting down) stops the run and still reports it; a
  // second one kills the experiment at once and gives up on reporting.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      warn(`received ${signal} again: killing the run`);
      lost.abort(`the agent received ${signal} twice`);
      return;
    }
    warn(`received ${signal}: stopping the run`);
    stop.abort(`the agent received ${signal}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    const assignment = handedOver !== undefined
      ? checkAssignment(handedOver, config.runId)
      : await fetchAssignment(config, undefined, lost.signal).catch((error: unknown) => {
        throw lost.signal.aborted ? new TransportClosedError(String(lost.signal.reason)) : error;
      });
    const result = await executeRun({
      assignment,
      transport,
      workRoot: config.workRoot,
      inheritedEnv: config.inheritedEnv,
      ...(config.modelApi !== undefined && { modelApi: config.modelApi }),
      signal: stop.signal,
      abandon: lost.signal,
      warn,
    });
    if (result.status !== 'succeeded') warn(`run ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
    return EXIT_DELIVERED;
  } catch (error) {
    return fail(error, config.runId, EXIT_NOT_DELIVERED);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await transport.close();
  }
}

function fail(error: unknown, who: string, code: number): number {
  const message = error instanceof Error ? error.message : String(error);
  const kind = error instanceof AgentConfigError ? 'configuration error' : 'error';
  process.stderr.write(`autoresearch-agent[${who}]: ${kind}: ${message}\n`);
  return code;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await runAgent(process.argv.slice(2));
  process.exitCode = code;
  // Everything is closed by now; should a stray handle keep the loop alive, do not linger as a zombie agent.
  setTimeout(() => process.exit(code), 2000).unref();
}
