// The usual `authenticate` for NatsControllerTransport: look up the run's token hash (runs.token_hash,
// set when the run was claimed) and check the MAC with it. Hashes are cached per run and attempt, since
// a run sends many messages and the hash of an attempt never changes; a new attempt gets a new token.
import { verifyAgentMessage } from '../../../../../schemas/src/message-mac.js';
import type { AgentMessage } from '../../../../../schemas/src/messages.js';

export interface RunTokenLookup {
  /** The token hash of the run's current attempt, or null when the run is unknown or has none. */
  (runId: string): Promise<{ attempt: number; tokenHash: string | null } | null>;
}

export type RunTokenAuthenticator = ((message: AgentMessage, mac: string) => Promise<boolean>) & {
  /** Caches an attempt's token hash when the run is claimed, so its messages need no lookup at all. */
  remember(runId: string, attempt: number, tokenHash: string): void;
};

export function createRunTokenAuthenticator(
  lookup: RunTokenLookup,
  options: { maxCached?: number } = {},
): RunTokenAuthenticator {
  const maxCached = options.maxCached ?? 10_000;
  const cache = new Map<string, string>();
  const remember = (key: string, tokenHash: string) => {
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
    cache.set(key, tokenHash);
  };
  const authenticate = async (message: AgentMessage, mac: string) => {
    const key = `${message.runId}:${message.attempt}`;
    let tokenHash = cache.get(key);
    if (tokenHash === undefined) {
      const run = await lookup(message.runId);
      // Only the current attempt's token is known; an older attempt's messages cannot be checked, so they are refused.
      if (run === null || run.tokenHash === null || run.attempt !== message.attempt) return false;
      tokenHash = run.tokenHash;
      remember(key, tokenHash);
    }
    return verifyAgentMessage({ message, mac }, tokenHash);
  };
  return Object.assign(authenticate, {
    remember: (runId: string, attempt: number, tokenHash: string) => remember(`${runId}:${attempt}`, tokenHash),
  });
}
