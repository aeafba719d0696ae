// The line a decision gets in the line-per-event view (`run` on a pipe, `status --watch --plain`). Tests
// and scripts read these lines: keep their shape.
import type { Paint } from './ansi.js';
import { colourOf } from './outcome-colours.js';
import type { ExperimentLine } from './study-snapshot.js';

export interface DecisionLineContext {
  metric: string;
  shown: (score: number) => string;
  paint: Paint;
}

export function outcomeLabel(outcome: string, paint: Paint): string {
  return paint(outcome.padEnd(8), colourOf(outcome));
}

/** `#3    keep     val_bpb 1.012000   best 1.012000    WIDTH 16 → 32 · better by …`, with the best after it. */
export function decisionLine(e: Pick<ExperimentLine, 'number' | 'outcome' | 'score' | 'description' | 'reason'>, bestScore: number | null, context: DecisionLineContext): string {
  const { metric, shown, paint } = context;
  const number = `#${String(e.number).padEnd(4)}`;
  if (e.outcome === 'adopted') return `${number} ${outcomeLabel('adopted', paint)} ${e.description} · ${e.reason ?? ''}`;
  const score = e.score === null ? 'n/a'.padEnd(10) : shown(e.score).padEnd(10);
  const best = bestScore === null ? '' : `best ${shown(bestScore)}`;
  const detail = e.outcome === 'baseline' ? (e.reason ?? '') : `${e.description} · ${e.reason ?? ''}`;
  return `${number} ${outcomeLabel(e.outcome ?? '', paint)} ${metric} ${score} ${best.padEnd(16)} ${detail}`;
}
