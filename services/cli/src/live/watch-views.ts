// What `status --watch` shows as snapshots come in: the live panel on a terminal, or, on a pipe, one
// line per new decision and notice, in the shape `run` prints them.
import { scoreFormatter } from '../format-score.js';
import { painter } from '../view/ansi.js';
import { decisionLine } from '../view/decision-line.js';
import { renderPanel } from '../view/panel.js';
import { tallyExperiments, type StudySnapshot } from '../view/study-snapshot.js';
import { LivePanel } from './live-panel.js';

export interface WatchView {
  show(snapshot: StudySnapshot): void;
  /** A line that stays on the screen. */
  say(line: string): void;
  /** The study stopped, or the watch did: the last lines. */
  end(lines: string[]): void;
}

export function panelWatchView(stream: NodeJS.WriteStream, colour: boolean): WatchView {
  let current: StudySnapshot | null = null;
  const panel = new LivePanel(stream, (size, now) =>
    current === null ? [] : renderPanel(current, { ...size, colour, now, hint: 'Ctrl-C stops watching (the study goes on)' }));
  return {
    show(snapshot) {
      current = snapshot;
      panel.start();
      panel.update();
    },
    say: (line) => panel.printAbove(line),
    end(lines) {
      panel.stop();
      for (const line of lines) stream.write(`${line}\n`);
    },
  };
}

/** When it first hears of the study, the view shows its last few decisions, then each new one. */
const DECISIONS_AT_START = 5;

export function lineWatchView(write: (line: string) => void, colour: boolean): WatchView & { notice(text: string): void } {
  const paint = painter(colour);
  const printed = new Set<number>();
  let started = false;
  return {
    show(snapshot) {
      const context = { metric: snapshot.spec.objective.metric, shown: scoreFormatter(snapshot.spec), paint };
      const decided = snapshot.experiments.filter((e) => e.status === 'decided').sort((a, b) => a.number - b.number);
      if (!started) {
        started = true;
        write(`watching "${snapshot.name}" (${snapshot.status}): ${snapshot.spec.objective.metric} (${snapshot.spec.objective.direction})`);
        for (const e of decided.slice(0, -DECISIONS_AT_START)) printed.add(e.number);
      }
      for (const e of decided) {
        if (printed.has(e.number)) continue;
        printed.add(e.number);
        const upToIt = snapshot.experiments.filter((x) => x.number <= e.number);
        write(decisionLine(e, tallyExperiments(upToIt, snapshot.spec.objective.direction).bestScore, context));
      }
    },
    notice: (text) => write(paint(`   ${text}`, 90)),
    say: write,
    end(lines) {
      for (const line of lines) write(line);
    },
  };
}
