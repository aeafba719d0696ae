// The live panel of `run` and `status --watch`: a study snapshot drawn as lines that fit the terminal.
// Pure: live/live-panel.ts puts the lines on the screen and redraws them in place.
import { scoreFormatter } from '../format-score.js';
import { padToWidth, painter, truncateToWidth, type Paint } from './ansi.js';
import { formatDuration } from './format-duration.js';
import { colourOf } from './outcome-colours.js';
import { sparkline } from './sparkline.js';
import { tallyExperiments, type ExperimentLine, type RunInFlight, type StudySnapshot } from './study-snapshot.js';

export interface PanelOptions {
  /** Columns to fill; every line is cut to fit. */
  width: number;
  /** Rows of the terminal, when known: the panel stays shorter, so redrawing never scrolls it away. */
  height: number | null;
  colour: boolean;
  now: number;
  /** The last line while the study runs, e.g. what Ctrl-C does. */
  hint?: string;
}

const DIM = 90;
const MOST_RUNS_SHOWN = 8;
const MOST_DECISIONS_SHOWN = 10;
const FEWEST_DECISIONS_SHOWN = 3;
const REASON_COLUMNS = 60;
const NOTICES_SHOWN = 2;

export function renderPanel(snapshot: StudySnapshot, options: PanelOptions): string[] {
  const paint = painter(options.colour);
  const shown = scoreFormatter(snapshot.spec);
  const tally = tallyExperiments(snapshot.experiments, snapshot.spec.objective.direction);
  const metric = snapshot.spec.objective.metric;

  const top = [headerLine(snapshot, tally, options.now, paint)];
  if (tally.bestScore === null) {
    top.push(`best ${metric}: none yet`);
  } else {
    top.push(`best ${metric} ${paint(shown(tally.bestScore), 1)} (#${tally.bestNumber})${tally.bestSeries.length > 1 ? paint(` · first ${shown(tally.bestSeries[0]!)}`, DIM) : ''}`);
    top.push(`  ${paint(sparkline(tally.bestSeries, snapshot.spec.objective.direction, options.width - 2), 32)}`);
  }
  const runs = runLines(snapshot, options.now, paint);
  const over = snapshot.status === 'stopped' || snapshot.status === 'completed';
  const bottom = [...snapshot.notices.slice(-NOTICES_SHOWN).map((n) => paint(n, 33)), ...(options.hint && !over ? [paint(options.hint, DIM)] : [])];

  // The decisions take the rows that are left, within reason.
  const rowsLeft = options.height === null ? MOST_DECISIONS_SHOWN : options.height - 1 - top.length - runs.length - 1 - bottom.length;
  const decisions = decisionLines(snapshot.experiments, Math.min(MOST_DECISIONS_SHOWN, Math.max(FEWEST_DECISIONS_SHOWN, rowsLeft)), shown, paint);

  const lines = [...top, ...runs, paint('last decisions', DIM), ...decisions, ...bottom];
  const fitted = options.height === null ? lines : lines.slice(0, Math.max(1, options.height - 1));
  return fitted.map((line) => truncateToWidth(line, options.width));
}

function headerLine(snapshot: StudySnapshot, tally: ReturnType<typeof tallyExperiments>, now: number, paint: Paint): string {
  const elapsed = formatDuration((snapshot.stoppedAt ?? now) - snapshot.startedAt);
  const busy = snapshot.runsInFlight.length;
  const load = snapshot.slots === null ? `${busy} run${busy === 1 ? '' : 's'} in flight` : `slots ${busy}/${snapshot.slots} busy`;
  // The reason goes last: on a narrow terminal it is what gets cut.
  const reason = snapshot.reason ? ` · ${snapshot.reason}` : '';
  return `${paint(snapshot.name, 1)} · ${paint(snapshot.status, colourOf(snapshot.status))} · ${elapsed} · ${tally.decided} experiments decided, ${tally.pending} pending · ${load}${reason}`;
}

function runLines(snapshot: StudySnapshot, now: number, paint: Paint): string[] {
  const runs = [...snapshot.runsInFlight].sort((a, b) => (a.experimentNumber ?? Infinity) - (b.experimentNumber ?? Infinity) || a.repeatIndex - b.repeatIndex);
  if (runs.length === 0) return [paint('in flight: none', DIM)];
  const repeatsOf = new Map(snapshot.experiments.map((e) => [e.number, e.repeats]));
  const rows = runs.slice(0, MOST_RUNS_SHOWN).map((run) => [
    `  ${run.experimentNumber === null ? '?' : `#${run.experimentNumber}`}`,
    runLabel(run, run.experimentNumber === null ? undefined : repeatsOf.get(run.experimentNumber)),
    run.slot ?? '',
    run.startedAt === null ? 'starting' : formatDuration(now - run.startedAt),
  ]);
  const lines = table(['in flight', 'run', 'slot', 'elapsed'], rows, paint);
  if (runs.length > MOST_RUNS_SHOWN) lines.push(paint(`  … and ${runs.length - MOST_RUNS_SHOWN} more`, DIM));
  return lines;
}

function runLabel(run: RunInFlight, repeats: number | undefined): string {
  const index = repeats !== undefined && run.role === 'working' ? `${run.repeatIndex + 1}/${repeats}` : `${run.repeatIndex + 1}`;
  return [index, run.role === 'working' ? '' : run.role, run.attempt > 1 ? `attempt ${run.attempt}` : ''].filter(Boolean).join(' ');
}

function table(header: string[], rows: string[][], paint: Paint): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => padToWidth(c, widths[i]!)).join('  ').trimEnd();
  return [paint(line(header), DIM), ...rows.map(line)];
}

function decisionLines(experiments: readonly ExperimentLine[], count: number, shown: (score: number) => string, paint: Paint): string[] {
  const recent = experiments.filter((e) => e.status === 'decided').sort((a, b) => b.number - a.number).slice(0, count);
  if (recent.length === 0) return [paint('  none yet', DIM)];
  const numberWidth = Math.max(...recent.map((e) => String(e.number).length)) + 1;
  const outcomeWidth = Math.max(...recent.map((e) => (e.outcome ?? '').length));
  const scoreWidth = Math.max(3, ...recent.map((e) => (e.score === null ? 3 : shown(e.score).length)));
  return recent.map((e) => {
    const outcome = paint(padToWidth(e.outcome ?? '', outcomeWidth), colourOf(e.outcome ?? ''));
    const score = (e.score === null ? 'n/a' : shown(e.score)).padStart(scoreWidth);
    const reason = e.reason ? truncateToWidth(e.reason, REASON_COLUMNS) : '';
    // The baseline's description says nothing its reason (runs, noise) does not.
    const detail = e.outcome === 'baseline' ? reason : `${e.description}${reason ? paint(` · ${reason}`, DIM) : ''}`;
    return `  ${`#${e.number}`.padEnd(numberWidth)} ${outcome} ${score}  ${detail}`;
  });
}
