// A run's log, followed live: pages are read after the last line seen, every second while the run runs.
// Only the newest lines stay on screen, so a chatty run cannot slow the page down.
import { apiGet } from '../api/client.js';
import { h } from '../dom.js';
import type { LogLine, Page, Run } from '../api/types.js';

const KEPT_LINES = 2000;
const POLL_MS = 1000;

export interface LogTail {
  element: HTMLElement;
  dispose(): void;
}

export function followLog(run: Run, signal: AbortSignal, isRunning: () => boolean): LogTail {
  const pre = h('pre', { class: 'log', 'data-run': run.id });
  const status = h('p', { class: 'muted log-status' }, 'Loading…');
  const element = h('section', { class: 'log-tail' }, h('h3', null, `Log of run #${run.repeatIndex} (attempt ${run.attempt})`), status, pre);
  let cursor = 0;
  let stopped = false;
  let lines = 0;

  const read = async () => {
    for (;;) {
      const page = await apiGet<Page<LogLine, number>>(`/v1/runs/${encodeURIComponent(run.id)}/logs?cursor=${cursor}&limit=5000`, signal);
      const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
      const text = page.items.filter((l) => l.attempt === run.attempt).map((l) => `${l.line}\n`).join('');
      if (text) {
        pre.append(document.createTextNode(text));
        lines += text.split('\n').length - 1;
        // Keep the newest lines: drop text nodes from the top once past the limit.
        while (lines > KEPT_LINES && pre.firstChild && pre.childNodes.length > 1) {
          lines -= (pre.firstChild.textContent ?? '').split('\n').length - 1;
          pre.firstChild.remove();
        }
        if (atBottom) pre.scrollTop = pre.scrollHeight;
      }
      if (page.items.length > 0) cursor = page.items[page.items.length - 1]!.id;
      if (page.nextCursor === null) break;
    }
    status.textContent = lines === 0 ? (isRunning() ? 'No output yet.' : 'No output recorded.') : isRunning() ? 'Following…' : '';
  };

  void (async () => {
    while (!stopped && !signal.aborted) {
      const running = isRunning();
      try {
        await read();
      } catch (error) {
        if (signal.aborted) return;
        status.textContent = (error as Error).message;
      }
      // One last read after the run ends picks up its final lines.
      if (!running) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();

  return {
    element,
    dispose() {
      stopped = true;
    },
  };
}
