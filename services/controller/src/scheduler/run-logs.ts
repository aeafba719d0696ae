// The logger of each run this scheduler launched or adopted, bound to its ids (log-context.ts), so lines
// written long after the launch (its end, an error) still say which study and experiment it belongs to.
import type { Logger } from 'pino';
import { runLogger, type RunIdentity } from '../log-context.js';
import type { Store } from '../store/store.js';

/**
 * Runs launched here may end on another replica (a shared pool, results taken by another consumer), which
 * this one never hears of: the oldest bindings are dropped past this many.
 */
const MAX_BOUND = 10_000;

export class RunLogs {
  private readonly bound = new Map<string, Logger>();

  constructor(
    private readonly log: Logger,
    private readonly store: Store,
  ) {}

  /** The run's logger from now on; a new attempt binds afresh. */
  bind(run: RunIdentity): Logger {
    const logger = runLogger(this.log, run);
    this.bound.delete(run.id);
    this.bound.set(run.id, logger);
    if (this.bound.size > MAX_BOUND) this.bound.delete(this.bound.keys().next().value!);
    return logger;
  }

  known(runId: string): Logger | undefined {
    return this.bound.get(runId);
  }

  /** Bound here, or read from the database (a run launched by another replica). */
  async of(runId: string): Promise<Logger> {
    const known = this.bound.get(runId);
    if (known) return known;
    const run = await this.store.getRun(runId).catch(() => undefined);
    // Without the database, the run id alone still finds the line.
    return run ? runLogger(this.log, run) : this.log.child({ runId });
  }

  forget(runId: string): void {
    this.bound.delete(runId);
  }
}
