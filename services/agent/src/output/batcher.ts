// Collects items (log lines, metric points) and hands them on in batches: at most every `intervalMs`,
// or at once when `maxItems` are waiting. Batches go out one after another, in order. If the receiver
// cannot keep up, items beyond `maxPending` are dropped and counted rather than filling memory.

export interface BatcherOptions<T> {
  maxItems: number;
  intervalMs: number;
  maxPending: number;
  send: (items: T[]) => Promise<void>;
  /** Told once per batch that could not be sent, and how many items were dropped for lack of room. */
  onProblem: (problem: string) => void;
}

export interface Batcher<T> {
  push(item: T): void;
  /** Sends everything still waiting and resolves when all batches have gone out (or failed). */
  close(): Promise<void>;
}

export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  let waiting: T[] = [];
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  let sending = 0;
  let dropped = 0;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, options.maxItems);
      waiting = waiting.slice(batch.length);
      sending += batch.length;
      inFlight = inFlight.then(async () => {
        try {
          await options.send(batch);
        } catch (error) {
          options.onProblem(`could not send ${batch.length} items: ${(error as Error).message}`);
        } finally {
          sending -= batch.length;
        }
      });
    }
    if (dropped > 0) {
      options.onProblem(`dropped ${dropped} items because the transport could not keep up`);
      dropped = 0;
    }
  };

  return {
    push(item) {
      if (waiting.length + sending >= options.maxPending) {
        dropped += 1;
        return;
      }
      waiting.push(item);
      if (waiting.length >= options.maxItems) flush();
      else if (!timer) timer = setTimeout(flush, options.intervalMs);
    },
    async close() {
      flush();
      await inFlight;
    },
  };
}
