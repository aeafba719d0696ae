// The controller's configuration: read from the environment once, at boot, validated, and passed
// down. No other file reads process.env.
import { hostname } from 'node:os';

export interface ControllerEnv {
  databaseUrl: string | undefined;
  /** NATS with JetStream (NATS_URL): agents then report over NATS instead of the child-process channel. */
  natsUrl: string | undefined;
  /** A running run whose agent has been silent this long is declared lost (AUTORESEARCH_HEARTBEAT_TIMEOUT_SECONDS). */
  heartbeatTimeoutSeconds: number;
  /** How many times a lost run is run again before it is recorded as lost (AUTORESEARCH_LOST_RETRIES). */
  lostRetries: number;
  /** This controller's name on the runs it launches, stable across restarts (AUTORESEARCH_CONTROLLER_ID). */
  controllerId: string;
  cudaVisibleDevices: string | undefined;
  logLevel: string;
  /** What an agent process inherits from the controller's environment; nothing else crosses over. */
  agentBaseEnv: Record<string, string>;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readControllerEnv(env: NodeJS.ProcessEnv = process.env): ControllerEnv {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid URL (expected postgres://user@host:5432/db)');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new ConfigError(`DATABASE_URL must start with postgres:// (got ${url.protocol}//)`);
    }
  }
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${logLevel})`);
  const agentBaseEnv: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = env[key];
    if (value !== undefined) agentBaseEnv[key] = value;
  }
  const natsUrl = env.NATS_URL?.trim() || undefined;
  if (natsUrl !== undefined) {
    for (const server of natsUrl.split(',')) {
      let url: URL;
      try {
        url = new URL(server.trim());
      } catch {
        throw new ConfigError(`NATS_URL is not a valid URL (expected nats://host:4222, got ${server})`);
      }
      if (!['nats:', 'tls:', 'ws:', 'wss:'].includes(url.protocol)) {
        throw new ConfigError(`NATS_URL must start with nats:// (got ${url.protocol}//)`);
      }
    }
  }
  const heartbeatTimeoutSeconds = positiveNumber(env, 'AUTORESEARCH_HEARTBEAT_TIMEOUT_SECONDS', 30);
  const lostRetries = Number(env.AUTORESEARCH_LOST_RETRIES ?? '1');
  if (!Number.isInteger(lostRetries) || lostRetries < 0) {
    throw new ConfigError(`AUTORESEARCH_LOST_RETRIES must be a whole number ≥ 0 (got ${env.AUTORESEARCH_LOST_RETRIES})`);
  }
  const controllerId = env.AUTORESEARCH_CONTROLLER_ID?.trim() || hostname();
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(controllerId)) {
    throw new ConfigError('AUTORESEARCH_CONTROLLER_ID must be 1 to 100 letters, digits, or _ . : -');
  }
  return {
    databaseUrl, natsUrl, heartbeatTimeoutSeconds, lostRetries, controllerId,
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES, logLevel, agentBaseEnv,
  };
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number of seconds (got ${raw})`);
  return value;
}
