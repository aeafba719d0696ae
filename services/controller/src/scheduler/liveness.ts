// How the controller tells a live agent from a lost one.
import type { RunRow } from '../store/schema.js';
import type { Store } from '../store/store.js';

export interface LivenessOptions {
  /** An agent silent this long is lost. */
  timeoutSeconds: number;
  /** Times a lost run is run again before it is recorded as lost. */
  retries: number;
}

/** How long a result may still be in transit (NATS) after its agent exited without saying so. */
export const AGENT_RESULT_SETTLE_MS = 2000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs this controller claimed before a restart and that are still running: their standalone agents may
 * still be at work, so their slots stay taken until their result arrives or they fall silent.
 */
export async function adoptableRuns(store: Store, controllerId: string): Promise<RunRow[]> {
  const studies = await store.listStudiesByStatus(['running', 'paused', 'stopping']);
  const running = await Promise.all(studies.map((s) => store.listRunsByStatus(s.id, 'running')));
  return running.flat().filter((run) => run.host === controllerId);
}
