// How numbers, times and durations read on every page.

export function formatScore(score: number | null | undefined, metric?: string): string {
  if (score === null || score === undefined) return '—';
  if (metric === 'pass_rate') return `${Number((score * 100).toFixed(1))}%`;
  const magnitude = Math.abs(score);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return score.toExponential(4);
  return Number(score.toPrecision(6)).toString();
}

export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString();
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const seconds = Math.max(0, ms / 1000);
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${Math.floor(minutes)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${Math.round(minutes % 60)} min`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatUsd(usd: number): string {
  return `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

export function elapsedSince(start: string | number | null | undefined, end?: string | number | null): number | null {
  if (start === null || start === undefined) return null;
  const from = new Date(start).getTime();
  const to = end === null || end === undefined ? Date.now() : new Date(end).getTime();
  return Number.isNaN(from) || Number.isNaN(to) ? null : to - from;
}
