// A one-line chart of a series, for the best score over experiments. Taller means better in the
// objective's direction, so a study that is getting somewhere climbs whether it minimizes or maximizes.
import type { Direction } from '../../../../schemas/src/study-spec.js';

const BARS = '▁▂▃▄▅▆▇█';

/**
 * At most `width` bars. A longer series is cut into `width` equal buckets, each shown by its last value:
 * for a running best, the best so far at that point. A value that is not a finite number leaves a gap;
 * a series with nothing to compare (one value, or all equal) sits on the floor: nothing was gained.
 */
export function sparkline(values: readonly number[], direction: Direction, width: number): string {
  const columns = Math.max(0, Math.floor(width));
  if (values.length === 0 || columns === 0) return '';
  const sampled = values.length <= columns ? values : bucketLasts(values, columns);
  const better = sampled.map((v) => (Number.isFinite(v) ? (direction === 'minimize' ? -v : v) : Number.NaN));
  const finite = better.filter((v) => !Number.isNaN(v));
  const low = Math.min(...finite);
  const span = Math.max(...finite) - low;
  return better
    .map((v) => {
      if (Number.isNaN(v)) return ' ';
      if (!(span > 0)) return BARS[0];
      return BARS[Math.round(((v - low) / span) * (BARS.length - 1))];
    })
    .join('');
}

function bucketLasts(values: readonly number[], buckets: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * values.length) / buckets);
    const end = Math.floor(((b + 1) * values.length) / buckets);
    const bucket = values.slice(start, end).filter((v) => Number.isFinite(v));
    out.push(bucket.length > 0 ? bucket[bucket.length - 1]! : Number.NaN);
  }
  return out;
}
