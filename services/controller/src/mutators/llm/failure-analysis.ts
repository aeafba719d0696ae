// The part of the prompt that says what went wrong and where things are heading: the metric's trend,
// the most common failure, the last output of failed runs (or of the guard a run failed), and the curves
// the last runs printed.
import type { MutationContext } from '../mutator.js';
import { fenced } from './fence.js';

export function analyzeFailures(ctx: MutationContext): string {
  const { metric, direction } = ctx.objective;
  const lines = ['## Failure analysis', ''];
  const decided = [...ctx.history].filter((e) => e.outcome !== null).sort((a, b) => a.number - b.number);

  const scored = decided.filter((e) => e.score !== null);
  if (scored.length > 0) {
    const trend = scored.slice(-15).map((e) => `#${e.number} ${formatScore(e.score!)}${e.outcome === 'keep' || e.outcome === 'baseline' ? '*' : ''}`);
    lines.push(`${metric} trend (${direction}; * = became the head): ${trend.join(', ')}`);
  }
  const failures = decided.filter((e) => e.outcome === 'crash' || e.outcome === 'timeout' || e.outcome === 'invalid' || e.outcome === 'guard-failed');
  lines.push(`Failures: ${failures.length} of ${decided.length} decided experiments (${countBy(failures.map((e) => e.outcome!))}).`);
  const pattern = mostCommonPattern(failures.map((e) => e.reason ?? ''));
  if (pattern) lines.push(`Most common failure pattern (${pattern.count}×): ${pattern.text}`);

  for (const evidence of ctx.evidence.filter((e) => e.logTail.length > 0).slice(0, 3)) {
    const whose = evidence.guard === undefined ? '' : `\nOutput of guard "${evidence.guard}", which it failed:`;
    lines.push('', `Experiment #${evidence.experimentNumber} (${evidence.outcome}): ${evidence.reason ?? ''}${whose}`, fenced(evidence.logTail.slice(-20).join('\n')));
  }
  const withCurves = ctx.evidence.filter((e) => Object.keys(e.curves).length > 0).slice(0, 3);
  if (withCurves.length > 0) {
    lines.push('', 'Intermediate curves of the last runs:');
    for (const evidence of withCurves) {
      for (const [name, points] of Object.entries(evidence.curves).slice(0, 3)) {
        lines.push(`- #${evidence.experimentNumber} ${name}: ${points.map((p) => formatScore(p.value)).join(' → ')}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Failure reasons with numbers and quoted text masked, so "exit code 3" and "exit code 4" group together. */
export function mostCommonPattern(reasons: string[]): { text: string; count: number } | null {
  const counts = new Map<string, { count: number; example: string }>();
  for (const reason of reasons.filter((r) => r.trim() !== '')) {
    const key = reason.replace(/"[^"]*"/g, '"…"').replace(/\d+(\.\d+)?/g, 'N').slice(0, 160);
    const entry = counts.get(key) ?? { count: 0, example: reason.slice(0, 300) };
    entry.count += 1;
    counts.set(key, entry);
  }
  const best = [...counts.values()].sort((a, b) => b.count - a.count)[0];
  return best ? { text: best.example, count: best.count } : null;
}

function countBy(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([v, n]) => `${n} ${v}`).join(', ');
}

function formatScore(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(5);
}
