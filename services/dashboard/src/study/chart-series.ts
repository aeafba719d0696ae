// The score chart's data, as uPlot wants it: one x column (experiment numbers) and, aligned with it, one
// column per outcome (a point where the experiment had that outcome) and one running-best column per branch
// (a step line). Pure: tested in node.
import { OUTCOMES, UNSCORED_OUTCOMES } from '../outcomes.js';
import { isBetter } from './progress.js';
import type { PointColumns } from './point-columns.js';

export interface ChartSeries {
  x: number[];
  /** Outcomes present, in OUTCOMES order, each with its column. */
  outcomes: { outcome: string; values: (number | null)[] }[];
  /** Branch indexes present, each with its running best, carried forward from its first keep or baseline. */
  bests: { branch: number; values: (number | null)[] }[];
  /** Where the points without a score (crashes, timeouts…) sit: the worst score shown. */
  unscoredY: number | null;
}

/** Outcomes that move a branch's best: the baseline, a keep, and an adopted head. */
const MOVES_BEST = new Set(['baseline', 'keep', 'adopted']);

function movesBest(outcome: string | null, score: number | null): score is number {
  return outcome !== null && MOVES_BEST.has(outcome) && score !== null && Number.isFinite(score);
}

export function buildChartSeries(columns: PointColumns, direction: 'minimize' | 'maximize'): ChartSeries {
  const n = columns.number.length;
  let worst: number | null = null;
  for (const score of columns.score) {
    if (score !== null && Number.isFinite(score) && (worst === null || isBetter(worst, score, direction))) worst = score;
  }
  const byOutcome = new Map<string, (number | null)[]>();
  const bestByBranch = new Map<number, (number | null)[]>();
  for (let i = 0; i < n; i++) {
    const outcome = columns.outcome[i]!;
    const score = columns.score[i]!;
    if (outcome !== null) {
      const y = score !== null && Number.isFinite(score) ? score : UNSCORED_OUTCOMES.has(outcome) ? worst : null;
      if (y !== null) {
        let column = byOutcome.get(outcome);
        if (!column) byOutcome.set(outcome, (column = new Array<number | null>(n).fill(null)));
        column[i] = y;
      }
    }
    const branch = columns.branch[i]!;
    if (movesBest(outcome, score) && !bestByBranch.has(branch)) bestByBranch.set(branch, new Array<number | null>(n).fill(null));
  }
  // The baseline is every branch's first head: each branch's line starts there.
  if (columns.outcome.includes('baseline')) {
    for (const branch of new Set(columns.branch)) if (!bestByBranch.has(branch)) bestByBranch.set(branch, new Array<number | null>(n).fill(null));
  }
  // Carry each branch's best forward over every x, so its step line runs to the newest experiment.
  const currentBest = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const outcome = columns.outcome[i]!;
    const score = columns.score[i]!;
    const branch = columns.branch[i]!;
    for (const b of outcome === 'baseline' ? bestByBranch.keys() : [branch]) {
      if (!movesBest(outcome, score)) break;
      const best = currentBest.get(b);
      if (best === undefined || isBetter(score, best, direction)) currentBest.set(b, score);
    }
    for (const [b, column] of bestByBranch) column[i] = currentBest.get(b) ?? null;
  }
  const known = new Set<string>(OUTCOMES);
  const order = [...OUTCOMES.filter((o) => byOutcome.has(o)), ...[...byOutcome.keys()].filter((o) => !known.has(o)).sort()];
  return {
    x: columns.number.slice(),
    outcomes: order.map((outcome) => ({ outcome, values: byOutcome.get(outcome)! })),
    bests: [...bestByBranch.keys()].sort((a, b) => a - b).map((branch) => ({ branch, values: bestByBranch.get(branch)! })),
    unscoredY: worst,
  };
}
