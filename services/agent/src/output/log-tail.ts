// The last N lines of a run's output, for the result: what `tail -n 50 run.log` shows a person after a crash.

export interface LogTail {
  push(line: string): void;
  lines(): string[];
}

export function createLogTail(size = 50): LogTail {
  const ring: string[] = [];
  let next = 0;
  return {
    push(line) {
      if (ring.length < size) ring.push(line);
      else ring[next] = line;
      next = (next + 1) % size;
    },
    lines() {
      return ring.length < size ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)];
    },
  };
}
