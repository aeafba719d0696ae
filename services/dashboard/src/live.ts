// Refetching on live events: a burst of events causes one refetch, and refetches never overlap (one asked
// for while another runs happens right after it), so the newest answer always lands last.

export interface Refresher {
  (): void;
  dispose(): void;
}

export function refresher(run: () => Promise<void>, delayMs: number): Refresher {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  let disposed = false;
  const start = async () => {
    timer = undefined;
    if (disposed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await run();
    } catch (error) {
      console.warn('refresh failed', error);
    } finally {
      running = false;
      if (again && !disposed) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (disposed || timer !== undefined) return;
    timer = setTimeout(() => void start(), delayMs);
  };
  schedule.dispose = () => {
    disposed = true;
    clearTimeout(timer);
  };
  return schedule;
}

/** A page's lifetime: what to stop when the person navigates away. */
export class PageScope {
  readonly abort = new AbortController();
  private readonly stops: (() => void)[] = [];

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  onDispose(stop: () => void): void {
    this.stops.push(stop);
  }

  every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    this.onDispose(() => clearInterval(timer));
  }

  dispose(): void {
    this.abort.abort();
    for (const stop of this.stops.splice(0)) stop();
  }
}
