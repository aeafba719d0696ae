// A warm agent: forked before its slot frees, with every module already loaded, it waits on its IPC
// channel for the one run it will carry out, and the controller hands it the run's assignment with it.
// Starting Node, loading the agent and fetching the assignment cost about half a second; paid ahead or
// skipped, they no longer sit between two experiments in a slot (bench/pipelining).
import type { RunAssignment } from '../../../schemas/src/messages.js';
import type { ModelApiSettings } from './config.js';
import { AgentConfigError } from './errors.js';

export const STANDBY_FLAG = '--standby';

/** What a standby agent tells the controller once it listens: from then on it can take a run. */
export interface StandbyReady {
  type: 'standby-ready';
}

/** What the controller sends a standby agent: the run, its token (never an argument), and its assignment if it has it. */
export interface StandbyAssignment {
  type: 'assign';
  runId: string;
  token: string;
  controllerUrl: string;
  /** Absent when the controller could not build it: the agent then fetches it like any other. */
  assignment?: RunAssignment;
  /** A skill run's model API: handed over with its run, so a standby that gets a training run never holds it. */
  modelApi?: ModelApiSettings;
}

export interface StandbyRun {
  /** The agent's arguments, completed with the run's id and the controller's URL. */
  argv: string[];
  token: string;
  /** Unchecked: the agent checks it as it checks a fetched one (checkAssignment). */
  assignment?: unknown;
  modelApi?: ModelApiSettings;
}

export function isStandby(argv: readonly string[]): boolean {
  return argv.includes(STANDBY_FLAG);
}

/**
 * Says it is ready, waits for the run, and returns what completes the agent's configuration; null when the
 * controller closed the channel first (it shut down, or no longer needs this agent): nothing to run then.
 */
export async function awaitStandbyRun(argv: readonly string[]): Promise<StandbyRun | null> {
  const send = process.send?.bind(process);
  if (!send || !process.connected) {
    throw new AgentConfigError(`${STANDBY_FLAG} needs an IPC channel: the agent must be started with child_process.fork`);
  }
  const rest = argv.filter((arg) => arg !== STANDBY_FLAG);
  if (rest.includes('--run-id')) throw new AgentConfigError(`${STANDBY_FLAG} takes its run from the controller, not --run-id`);
  const message = await new Promise<unknown>((resolve) => {
    const finish = (value: unknown) => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      resolve(value);
    };
    const onMessage = (raw: unknown) => finish(raw);
    const onDisconnect = () => finish(null);
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
    const ready: StandbyReady = { type: 'standby-ready' };
    send(ready);
  });
  if (message === null) return null;
  if (!isAssignment(message)) {
    throw new AgentConfigError(`a standby agent expects {type: 'assign', runId, token, controllerUrl} first, got ${JSON.stringify(message).slice(0, 200)}`);
  }
  return {
    argv: [...rest, '--run-id', message.runId, '--controller-url', message.controllerUrl],
    token: message.token,
    ...(message.assignment !== undefined && { assignment: message.assignment }),
    ...(isModelApi(message.modelApi) && { modelApi: message.modelApi }),
  };
}

function isModelApi(raw: unknown): raw is ModelApiSettings {
  if (typeof raw !== 'object' || raw === null) return false;
  const api = raw as Record<string, unknown>;
  return typeof api.apiKey === 'string' && api.apiKey !== '' && (api.baseUrl === undefined || typeof api.baseUrl === 'string');
}

function isAssignment(raw: unknown): raw is StandbyAssignment {
  if (typeof raw !== 'object' || raw === null) return false;
  const message = raw as Record<string, unknown>;
  return message.type === 'assign' && typeof message.runId === 'string' && typeof message.token === 'string' && typeof message.controllerUrl === 'string';
}
