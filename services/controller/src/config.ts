// The controller's configuration: read from the environment once, at boot, validated, and passed
// down. No other file reads process.env.

export interface ControllerEnv {
  databaseUrl: string | undefined;
  /** Accepted API tokens (AUTORESEARCH_API_TOKENS, comma-separated); required off loopback. */
  apiTokens: string[];
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
  const apiTokens = (env.AUTORESEARCH_API_TOKENS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (apiTokens.some((t) => t.length < 16)) throw new ConfigError('AUTORESEARCH_API_TOKENS: each token must have at least 16 characters');
  const agentBaseEnv: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = env[key];
    if (value !== undefined) agentBaseEnv[key] = value;
  }
  return { databaseUrl, apiTokens, cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES, logLevel, agentBaseEnv };
}
