// Calls to the Kubernetes API that survive a flaky API server: transient failures (5xx, 429, a dropped
// connection) are retried with backoff; a refusal (4xx) is final and says what the server said.
import { ApiException } from '@kubernetes/client-node';

export interface KubeCallOptions {
  /** Delays between tries; one try more than there are delays. */
  backoffMs?: number[];
  /** 409 AlreadyExists counts as success (an earlier try that timed out may have gone through). */
  alreadyExistsOk?: boolean;
  /** 404 NotFound counts as success (deleting something already gone). */
  notFoundOk?: boolean;
}

export class KubeCallError extends Error {
  constructor(
    message: string,
    /** Whether trying again later could help (the server was unreachable or overloaded). */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const DEFAULT_BACKOFF_MS = [250, 1000, 3000];

export async function kubeCall<T>(what: string, call: () => Promise<T>, options: KubeCallOptions = {}): Promise<T | undefined> {
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const code = error instanceof ApiException ? error.code : undefined;
      if (code === 409 && options.alreadyExistsOk) return undefined;
      if (code === 404 && options.notFoundOk) return undefined;
      const transient = code === undefined || code === 429 || code >= 500;
      if (!transient || attempt >= backoff.length) {
        const tries = attempt + 1;
        throw new KubeCallError(`could not ${what}: ${describeKubeError(error)}${transient ? ` (${tries} tries)` : ''}`, transient);
      }
      await new Promise((resolve) => setTimeout(resolve, backoff[attempt]));
    }
  }
}

/** The API server's Status message when there is one (`jobs.batch "x" is forbidden: …`), else the error. */
export function describeKubeError(error: unknown): string {
  if (error instanceof ApiException) {
    try {
      const status = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as { message?: string; reason?: string };
      if (status?.message) return `${error.code} ${status.reason ?? ''}: ${status.message}`.replace(/ :/, ':');
    } catch {
      // not a Status body
    }
    return `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}
