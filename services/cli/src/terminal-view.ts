// Live progress of `autoresearch run` as one line per event that matters, with the best score so far, so
// a glance in the morning says what happened. This is the view on a pipe, in CI and with --plain; a
// terminal gets the live panel (live/live-panel.ts) instead.
import type { Scheduler } from '../../controller/src/scheduler/scheduler.js';
import type { StudyRow } from '../../controller/src/store/schema.js';
import { scoreFormatter } from './format-score.js';
import { painter } from './view/ansi.js';
import { decisionLine } from './view/decision-line.js';

type Write = (line: string) => void;

export function attachTerminalView(scheduler: Scheduler, study: StudyRow, write: Write, colour: boolean): void {
  const paint = painter(colour);
  const context = { metric: study.spec.objective.metric, shown: scoreFormatter(study.spec), paint };

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
    write(decisionLine({ ...experiment, ...decision }, progress.bestScore, context));
  });
  scheduler.on('experiment.extended', ({ experiment, from, to, reason }) =>
    write(paint(`   ↻ #${experiment.number} promising, not yet beyond the noise: ${from} → ${to} runs (${reason})`, 90)));
  scheduler.on('experiment.confirming', ({ experiment, runs, reason }) =>
    write(paint(`   ✓? #${experiment.number} passed; ${runs} fresh run${runs === 1 ? '' : 's'} must hold the gain before its branch builds on it (${reason})`, 90)));
  scheduler.on('experiment.promoted', ({ experiment, to, runs, reason }) =>
    write(paint(`   ⇡ #${experiment.number} promoted to ${to}: ${runs} run${runs === 1 ? '' : 's'} there (${reason})`, 90)));
  scheduler.on('branch.adopted', ({ experiment }) => write(decisionLine({ ...experiment, outcome: 'adopted' }, null, context)));
  scheduler.on('study.stopping', ({ reason }) => write(paint(`stopping: ${reason}`, 33)));
  scheduler.on('holdout.started', ({ reason, experimentNumber, runs }) =>
    write(paint(`finishing (${reason}): the best revision, #${experimentNumber}, runs ${runs} times on the holdout inputs`, 33)));

  const numbers = new Map<string, number>();
  const experimentLabel = (id: string) => (numbers.has(id) ? `#${numbers.get(id)}` : id.slice(0, 8));
}
