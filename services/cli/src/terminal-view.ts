// Live progress of `autoresearch run` in the terminal: one line per event that matters, with the best
// score so far, so a glance in the morning says what happened.
import type { Scheduler } from '../../controller/src/scheduler/scheduler.js';
import type { StudyRow } from '../../controller/src/store/schema.js';
import { scoreFormatter } from './format-score.js';

type Write = (line: string) => void;

const COLOURS = { keep: 32, baseline: 36, discard: 90, crash: 31, timeout: 31, invalid: 33, stopped: 33, 'early-stopped': 90, remeasure: 36, reverted: 33, adopted: 36 } as const;

export function attachTerminalView(scheduler: Scheduler, study: StudyRow, write: Write, colour: boolean): void {
  const metric = study.spec.objective.metric;
  const shown = scoreFormatter(study.spec);
  const paint = (text: string, code: number) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const labelOf = (outcome: string) => paint(outcome.padEnd(8), COLOURS[outcome as keyof typeof COLOURS] ?? 0);

  scheduler.on('run.started', ({ run, slot }) => {
    write(paint(`   … run ${run.repeatIndex + 1} of experiment ${experimentLabel(run.experimentId)} on ${slot.name} (attempt ${run.attempt})`, 90));
  });
  scheduler.on('experiment.created', ({ experiment }) => {
    numbers.set(experiment.id, experiment.number);
    if (experiment.status === 'decided') return; // an invalid change: reported when decided
    write(paint(`   + #${experiment.number} ${experiment.description}`, 90));
  });
  scheduler.on('experiment.decided', ({ experiment, decision, progress }) => {
    numbers.set(experiment.id, experiment.number);
    const score = decision.score === null ? 'n/a'.padEnd(10) : shown(decision.score).padEnd(10);
    const best = progress.bestScore === null ? '' : `best ${shown(progress.bestScore)}`;
    const detail = decision.outcome === 'baseline' ? decision.reason : `${experiment.description} · ${decision.reason}`;
    write(`#${String(experiment.number).padEnd(4)} ${labelOf(decision.outcome ?? '')} ${metric} ${score} ${best.padEnd(16)} ${detail}`);
  });
  scheduler.on('experiment.extended', ({ experiment, from, to, reason }) =>
    write(paint(`   ↻ #${experiment.number} promising, not yet beyond the noise: ${from} → ${to} runs (${reason})`, 90)));
  scheduler.on('experiment.confirming', ({ experiment, runs, reason }) =>
    write(paint(`   ✓? #${experiment.number} passed; ${runs} fresh run${runs === 1 ? '' : 's'} must hold the gain before its branch builds on it (${reason})`, 90)));
  scheduler.on('branch.adopted', ({ experiment }) =>
    write(`#${String(experiment.number).padEnd(4)} ${labelOf('adopted')} ${experiment.description} · ${experiment.reason ?? ''}`));
  scheduler.on('study.stopping', ({ reason }) => write(paint(`stopping: ${reason}`, 33)));
  scheduler.on('holdout.started', ({ reason, experimentNumber, runs }) =>
    write(paint(`finishing (${reason}): the best revision, #${experimentNumber}, runs ${runs} times on the holdout inputs`, 33)));

  const numbers = new Map<string, number>();
  const experimentLabel = (id: string) => (numbers.has(id) ? `#${numbers.get(id)}` : id.slice(0, 8));
}
