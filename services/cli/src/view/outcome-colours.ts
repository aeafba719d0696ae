// One colour per outcome, the same in the line-per-event view and the panel: green keeps, grey misses,
// red failures, yellow what needs a look.
const COLOURS: Record<string, number> = {
  keep: 32, baseline: 36, discard: 90, crash: 31, timeout: 31, invalid: 33, stopped: 33, 'early-stopped': 90, remeasure: 36, reverted: 33, adopted: 36, 'guard-failed': 31,
  // Stopped at a screen (spec.stages): a miss found cheaply, magenta to tell it from a full-budget discard.
  'screened-out': 35,
  // study statuses
  running: 32, paused: 33, stopping: 33, completed: 36,
};

export function colourOf(outcomeOrStatus: string): number {
  return COLOURS[outcomeOrStatus] ?? 0;
}
