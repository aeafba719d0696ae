import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { LivePanel } from '../../services/cli/src/live/live-panel.js';

/** A terminal as the panel sees it: a size, writes and resize events. */
class FakeTerminal extends EventEmitter {
  writes: string[] = [];
  constructor(
    public columns: number | undefined,
    public rows: number | undefined,
  ) {
    super();
  }
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function panelOn(terminal: FakeTerminal, lines: () => string[], minIntervalMs = 50) {
  const sizes: { width: number; height: number | null }[] = [];
  const panel = new LivePanel(terminal as unknown as NodeJS.WriteStream, (size) => {
    sizes.push(size);
    return lines();
  }, { minIntervalMs, tickMs: 60_000 });
  return { panel, sizes };
}

describe('LivePanel', () => {
  it('hides the cursor, draws, and redraws in place over the lines it drew', () => {
    const terminal = new FakeTerminal(80, 24);
    let frame = ['one', 'two', 'three'];
    const { panel, sizes } = panelOn(terminal, () => frame);
    panel.start();
    assert.equal(terminal.writes[0], '\u001b[?25l');
    assert.match(terminal.writes[1]!, /^\u001b\[\?2026h\rone\u001b\[K\ntwo\u001b\[K\nthree\u001b\[K\n\u001b\[J\u001b\[\?2026l$/);
    assert.deepEqual(sizes[0], { width: 79, height: 24 }, 'a column spare, so no line wraps');
    frame = ['only'];
    panel.stop();
    assert.match(terminal.writes[2]!, /\r\u001b\[3Aonly\u001b\[K\n\u001b\[J/, 'up three lines, and what is left below is cleared');
    assert.equal(terminal.writes.at(-1), '\u001b[?25h');
  });

  it('draws at most once per interval, however many updates arrive', async () => {
    const terminal = new FakeTerminal(80, 24);
    const { panel, sizes } = panelOn(terminal, () => ['x'], 80);
    panel.start();
    for (let i = 0; i < 20; i++) panel.update();
    assert.equal(sizes.length, 1);
    await sleep(150);
    assert.equal(sizes.length, 2, 'the updates were coalesced into one redraw');
    panel.stop();
  });

  it('cuts the lines to the terminal, and after a resize draws again from the top with the lines above it', () => {
    const terminal = new FakeTerminal(80, 24);
    const { panel, sizes } = panelOn(terminal, () => ['a'.repeat(100), 'b']);
    panel.printAbove('autoresearch starting');
    panel.start();
    assert.match(terminal.writes.at(-1)!, new RegExp(`\\r${'a'.repeat(78)}…\u001b\\[K\nb`), 'no line wraps');
    terminal.columns = 30;
    terminal.emit('resize');
    assert.deepEqual(sizes.at(-1), { width: 29, height: 24 });
    assert.equal(terminal.writes.at(-2), '\u001b[H\u001b[2Jautoresearch starting\n');
    assert.match(terminal.writes.at(-1)!, new RegExp(`^\u001b\\[\\?2026h\r${'a'.repeat(28)}…\u001b\\[K\nb`));
    panel.stop();
  });

  it('prints a line that stays above the panel', () => {
    const terminal = new FakeTerminal(80, 24);
    const { panel } = panelOn(terminal, () => ['p1', 'p2']);
    panel.start();
    panel.printAbove('interrupted');
    assert.match(terminal.writes.at(-2)!, /^\r\u001b\[2A\u001b\[Jinterrupted\n$/);
    assert.match(terminal.writes.at(-1)!, /\rp1\u001b\[K\np2/);
    panel.stop();
  });

  it('draws 100 columns wide to something that is not a terminal', () => {
    const { panel, sizes } = panelOn(new FakeTerminal(undefined, undefined), () => ['x']);
    panel.start();
    panel.stop();
    assert.deepEqual(sizes[0], { width: 100, height: null });
  });
});
