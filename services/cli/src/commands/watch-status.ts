// `autoresearch status --watch`: polls a study's controller and shows it live until the study stops or
// Ctrl-C (which ends the watch, not the study).
import { ApiError, type ApiClient } from '../api-client.js';
import { EXIT } from '../exit-codes.js';
import { ApiStudyPoller } from '../live/api-snapshot.js';
import type { OutputMode } from '../live/output-mode.js';
import { lineWatchView, panelWatchView, type WatchView } from '../live/watch-views.js';
import { finalSummaryLines } from '../view/final-summary.js';
import type { StudySnapshot } from '../view/study-snapshot.js';

export interface WatchTarget {
  client: ApiClient;
  studyId: string;
  /**
   * An embedded controller (`run` in another terminal) goes away as soon as its study has stopped, often
   * before a poll saw it stop: then the study's last state is read from its folder's database.
   */
  readFinalState?: () => Promise<StudySnapshot | null>;
}

const isOver = (snapshot: StudySnapshot) => snapshot.status === 'stopped' || snapshot.status === 'completed';
/** A controller that has stopped answering for this long is worth a line; a shorter gap (a restart, a local run closing) is not. */
const UNREACHABLE_NOTICE_MS = 10_000;

export async function watchStatus(target: WatchTarget, intervalSeconds: number, mode: OutputMode): Promise<number> {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const lines = mode.panel ? null : lineWatchView(write, mode.colour);
  const view: WatchView = lines ?? panelWatchView(process.stdout, mode.colour);
  const poller = new ApiStudyPoller(target.client, target.studyId, (notice) => lines?.notice(notice));

  let snapshot = await poller.poll();
  let interrupted = false;
  let wake = () => {};
  const onSignal = () => {
    interrupted = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let unreachableSince: number | null = null;
  let unreachableSaid = false;
  try {
    view.show(snapshot);
    while (!isOver(snapshot) && !interrupted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalSeconds * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (interrupted) break;
      try {
        snapshot = await poller.poll();
        unreachableSince = null;
        unreachableSaid = false;
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 0) throw error;
        unreachableSince ??= Date.now();
        const final = await target.readFinalState?.();
        if (final) snapshot = { ...final, notices: snapshot.notices };
        if (!isOver(snapshot) && !unreachableSaid && Date.now() - unreachableSince >= UNREACHABLE_NOTICE_MS) {
          unreachableSaid = true;
          view.say(`${error.message}; trying again every ${intervalSeconds}s`);
        }
      }
      view.show(snapshot);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  view.end(isOver(snapshot) ? finalSummaryLines(snapshot) : [`stopped watching; ${snapshot.name} is ${snapshot.status}`, ...finalSummaryLines(snapshot).slice(1)]);
  return interrupted ? EXIT.interrupted : EXIT.ok;
}
