// Each experiment outcome's colour and words, shared by the chart, the tables and the badges (styles/app.css
// names the same colours for the badges).

export const OUTCOMES = [
  'baseline', 'keep', 'discard', 'crash', 'timeout', 'invalid', 'early-stopped', 'guard-failed', 'screened-out', 'reverted', 'adopted',
  'remeasure', 'stopped',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const OUTCOME_COLORS: Record<Outcome, string> = {
  baseline: '#2563eb',
  keep: '#16a34a',
  discard: '#9ca3af',
  crash: '#dc2626',
  timeout: '#ea580c',
  invalid: '#a855f7',
  'early-stopped': '#ca8a04',
  'guard-failed': '#7f1d1d',
  'screened-out': '#a8a29e',
  reverted: '#db2777',
  adopted: '#0891b2',
  remeasure: '#4f46e5',
  stopped: '#6b7280',
};

/** Outcomes that ran and produced no score: the chart puts them on its worst edge. */
export const UNSCORED_OUTCOMES = new Set<string>(['crash', 'timeout', 'invalid', 'early-stopped', 'guard-failed', 'screened-out', 'stopped']);

export function outcomeColor(outcome: string | null): string {
  return outcome !== null && outcome in OUTCOME_COLORS ? OUTCOME_COLORS[outcome as Outcome] : '#d1d5db';
}

/** Colours of the branches' running-best lines. */
export const BRANCH_COLORS = ['#111827', '#0d9488', '#7c3aed', '#b45309', '#be123c', '#1d4ed8', '#4d7c0f', '#a21caf'];

export function branchColor(index: number): string {
  return BRANCH_COLORS[index % BRANCH_COLORS.length]!;
}
