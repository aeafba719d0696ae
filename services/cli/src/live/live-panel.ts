// Puts the panel's lines on a terminal and redraws them in place: the cursor goes back to the panel's
// first row and each line overwrites the old one, in one write, so nothing flickers. Redraws are
// coalesced to a few a second however many events arrive, and a ticker keeps elapsed times moving.
// A resize clears the screen and draws again from the top: terminals rewrap (or not) what is on the
// screen in ways of their own, and a frame drawn between the rewrap and the resize signal would
// otherwise leave pieces of old frames behind. The lines printed above the panel are printed again.
import { truncateToWidth } from '../view/ansi.js';

export interface PanelSize {
  width: number;
  height: number | null;
}

export type RenderPanel = (size: PanelSize, now: number) => string[];

const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
// Terminals that know synchronized output paint a frame at once; the others ignore these.
const BEGIN_FRAME = '\u001b[?2026h';
const END_FRAME = '\u001b[?2026l';
const CLEAR_TO_LINE_END = '\u001b[K';
const CLEAR_BELOW = '\u001b[J';
const CLEAR_SCREEN = '\u001b[H\u001b[2J';
/** Lines printed above the panel that a resize prints again. */
const KEPT_LINES = 20;
/** Width of a panel drawn to something that is not a terminal (forced with --panel). */
const DEFAULT_WIDTH = 100;

export interface LivePanelOptions {
  /** Fewest milliseconds between two redraws. */
  minIntervalMs?: number;
  /** A redraw at least this often, for the elapsed times. */
  tickMs?: number;
}

export class LivePanel {
  private drawn: string[] = [];
  private readonly kept: string[] = [];
  private lastDrawAt = 0;
  private pending: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private active = false;
  private readonly minIntervalMs: number;
  private readonly tickMs: number;
  // Bound once, so that stop() can take them off again.
  private readonly onResize = () => this.redrawAfterResize();
  private readonly restoreCursor = () => this.stream.write(SHOW_CURSOR);

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly render: RenderPanel,
    options: LivePanelOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 250;
    this.tickMs = options.tickMs ?? 1000;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.stream.write(HIDE_CURSOR);
    // Whatever ends the process, the cursor comes back.
    process.on('exit', this.restoreCursor);
    this.stream.on('resize', this.onResize);
    this.ticker = setInterval(() => this.update(), this.tickMs);
    this.ticker.unref();
    this.draw();
  }

  /** Something changed: redraw now, or as soon as the last redraw is old enough. */
  update(): void {
    if (!this.active || this.pending) return;
    const wait = this.lastDrawAt + this.minIntervalMs - Date.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.pending = setTimeout(() => {
      this.pending = null;
      this.draw();
    }, wait);
    this.pending.unref();
  }

  /** A line that stays: it is printed where the panel was, and the panel is drawn again below it. */
  printAbove(line: string): void {
    this.kept.push(line);
    this.kept.splice(0, Math.max(0, this.kept.length - KEPT_LINES));
    if (!this.active) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`${this.moveToTop()}${CLEAR_BELOW}${line}\n`);
    this.drawn = [];
    this.draw();
  }

  /** Draws the last frame, leaves it on the screen and gives the cursor back. */
  stop(): void {
    if (!this.active) return;
    this.draw();
    this.active = false;
    if (this.pending) clearTimeout(this.pending);
    if (this.ticker) clearInterval(this.ticker);
    this.pending = null;
    this.ticker = null;
    this.stream.off('resize', this.onResize);
    process.off('exit', this.restoreCursor);
    this.stream.write(SHOW_CURSOR);
  }

  private size(): PanelSize {
    const columns = this.stream.columns;
    // One column spare: a line that fills the last column would wrap on some terminals.
    return { width: columns ? Math.max(20, columns - 1) : DEFAULT_WIDTH, height: this.stream.rows ? this.stream.rows : null };
  }

  private draw(): void {
    this.lastDrawAt = Date.now();
    const size = this.size();
    // Cut here too, whatever the renderer did: a wrapped line would throw off the next redraw.
    const lines = this.render(size, this.lastDrawAt).map((line) => truncateToWidth(line, size.width));
    const body = lines.map((line) => `${line}${CLEAR_TO_LINE_END}\n`).join('');
    this.stream.write(`${BEGIN_FRAME}${this.moveToTop()}${body}${CLEAR_BELOW}${END_FRAME}`);
    this.drawn = lines;
  }

  /** Back to the first row of the panel: one row a line, as every line was cut to fit. */
  private moveToTop(): string {
    return this.drawn.length > 0 ? `\r\u001b[${this.drawn.length}A` : '\r';
  }

  private redrawAfterResize(): void {
    if (!this.active) return;
    this.stream.write(`${CLEAR_SCREEN}${this.kept.map((line) => `${line}\n`).join('')}`);
    this.drawn = [];
    this.draw();
  }
}
