// The agent's configuration, parsed once at start. This is the only file that reads process.env.
import { tmpdir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AgentConfigError } from './errors.js';

export const TOKEN_ENV = 'AUTORESEARCH_RUN_TOKEN';

/** Variables of the agent's own environment that an experiment may see; nothing else of it leaks. */
const PASSED_TO_EXPERIMENT = ['PATH', 'LANG', 'CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES'] as const;

export type TransportKind = 'ipc' | 'nats';

export interface AgentConfig {
  runId: string;
  controllerUrl: URL;
  /** The run-scoped bearer token. It arrives in the environment, never as an argument that `ps` would show. */
  token: string;
  transport: TransportKind;
  /** With --transport nats: the NATS server to report to. */
  natsUrl?: string;
  /** With --transport nats: how long a result may wait for NATS before the agent gives up (it stays in the outbox). */
  resultGiveUpSeconds: number;
  /** Where each run's fresh work directory is created. */
  workRoot: string;
  /** The few variables of the agent's environment that experiments inherit (see PASSED_TO_EXPERIMENT). */
  inheritedEnv: Record<string, string>;
  /** The Messages API that skill runs call (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL); absent without a key. */
  modelApi?: ModelApiSettings;
}

export interface ModelApiSettings {
  apiKey: string;
  /** Another endpoint than https://api.anthropic.com, such as a proxy. */
  baseUrl?: string;
}

export const USAGE = `usage: autoresearch-agent --run-id ID --controller-url URL [--transport ipc|nats] [--nats-url URL]
                          [--result-give-up-seconds N] [--work-root DIR]
       autoresearch-agent --standby [--transport ipc] [--work-root DIR]   (forked by the controller: waits for its run)
  environment: ${TOKEN_ENV} (the run's bearer token, required; a standby is handed it over IPC)
               ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL (the model API, for skill runs; never passed to experiments)`;

/** `given.token`: the token a standby agent was handed over its IPC channel instead of its environment. */
export function loadAgentConfig(argv: readonly string[], given: { token?: string } = {}): AgentConfig {
  return parseAgentConfig(argv, given.token === undefined ? process.env : { ...process.env, [TOKEN_ENV]: given.token });
}

export function parseAgentConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): AgentConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'run-id': { type: 'string' },
        'controller-url': { type: 'string' },
        transport: { type: 'string', default: 'ipc' },
        'nats-url': { type: 'string' },
        'result-give-up-seconds': { type: 'string' },
        'work-root': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new AgentConfigError(`${(error as Error).message}\n${USAGE}`);
  }

  const runId = requireOption(values, 'run-id');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(runId)) {
    throw new AgentConfigError(`--run-id must be 1 to 64 letters, digits, '_', '.' or '-', got ${JSON.stringify(runId)}`);
  }

  const rawUrl = requireOption(values, 'controller-url');
  let controllerUrl: URL;
  try {
    controllerUrl = new URL(rawUrl);
  } catch {
    throw new AgentConfigError(`--controller-url is not a valid URL: ${JSON.stringify(rawUrl)}`);
  }
  if (controllerUrl.protocol !== 'http:' && controllerUrl.protocol !== 'https:') {
    throw new AgentConfigError(`--controller-url must be an http or https URL, got ${JSON.stringify(rawUrl)}`);
  }

  const transport = values.transport;
  if (transport !== 'ipc' && transport !== 'nats') {
    throw new AgentConfigError(`--transport must be "ipc" or "nats", got ${JSON.stringify(transport)}`);
  }
  const natsUrl = transport === 'nats' ? parseNatsUrl(values['nats-url']) : undefined;
  if (transport === 'nats' && !/^[A-Za-z0-9_-]{1,64}$/.test(runId)) {
    throw new AgentConfigError(`--run-id must be letters, digits, '_' or '-' with --transport nats (it is a NATS subject token), got ${JSON.stringify(runId)}`);
  }
  const giveUpOption = values['result-give-up-seconds'];
  const resultGiveUpSeconds = typeof giveUpOption === 'string' ? Number(giveUpOption) : 3600;
  if (!(Number.isFinite(resultGiveUpSeconds) && resultGiveUpSeconds > 0)) {
    throw new AgentConfigError(`--result-give-up-seconds must be a positive number of seconds, got ${JSON.stringify(giveUpOption)}`);
  }

  const workRootOption = values['work-root'];
  const workRoot = typeof workRootOption === 'string' ? workRootOption : tmpdir();
  if (workRoot === '') throw new AgentConfigError('--work-root must not be empty');

  const token = env[TOKEN_ENV];
  if (token === undefined || token.trim() === '') {
    throw new AgentConfigError(`${TOKEN_ENV} is not set: the agent needs the run's bearer token in its environment`);
  }

  const inheritedEnv: Record<string, string> = {};
  for (const name of PASSED_TO_EXPERIMENT) {
    const value = env[name];
    if (value !== undefined) inheritedEnv[name] = value;
  }

  const modelApi = parseModelApi(env);
  return {
    runId,
    controllerUrl,
    token: token.trim(),
    transport,
    ...(natsUrl !== undefined && { natsUrl }),
    resultGiveUpSeconds,
    workRoot: isAbsolute(workRoot) ? workRoot : resolve(workRoot),
    inheritedEnv,
    ...(modelApi !== undefined && { modelApi }),
  };
}

function parseModelApi(env: Readonly<Record<string, string | undefined>>): ModelApiSettings | undefined {
  const apiKey = env.ANTHROPIC_API_KEY?.trim() || undefined;
  const rawUrl = env.ANTHROPIC_BASE_URL?.trim() || undefined;
  if (rawUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new AgentConfigError(`ANTHROPIC_BASE_URL is not a valid URL: ${JSON.stringify(rawUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AgentConfigError(`ANTHROPIC_BASE_URL must be an http or https URL, got ${JSON.stringify(rawUrl)}`);
    }
    if (apiKey === undefined) throw new AgentConfigError('ANTHROPIC_BASE_URL is set but ANTHROPIC_API_KEY is not: the model API needs its key too');
  }
  if (apiKey === undefined) return undefined;
  return { apiKey, ...(rawUrl !== undefined && { baseUrl: rawUrl }) };
}

function parseNatsUrl(raw: string | boolean | undefined): string {
  if (typeof raw !== 'string' || raw === '') throw new AgentConfigError(`--nats-url is required with --transport nats\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AgentConfigError(`--nats-url is not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
    throw new AgentConfigError(`--nats-url must be a nats:// or tls:// URL, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function requireOption(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new AgentConfigError(`--${name} is required\n${USAGE}`);
  return value;
}
