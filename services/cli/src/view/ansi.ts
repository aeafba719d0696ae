// Colour and width for terminal text. Widths count code points: the panel's own glyphs (▁…█, ·, …) are
// one column each, and a rare wide character in a description costs at most a column of slack.

const ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

export type Paint = (text: string, code: number) => string;

/** SGR colour codes when colour is on; plain text when it is off (NO_COLOR, a pipe). */
export function painter(colour: boolean): Paint {
  return colour ? (text, code) => (code === 0 ? text : `\u001b[${code}m${text}\u001b[0m`) : (text) => text;
}

export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, '');
}

export function visibleWidth(text: string): number {
  return Array.from(stripAnsi(text)).length;
}

/**
 * Cuts a line to `width` visible columns, ending it with "…" when something was cut. Escape sequences
 * are kept whole (they take no column), and a reset closes any colour the cut left open.
 */
export function truncateToWidth(text: string, width: number): string {
  if (width <= 0) return '';
  if (visibleWidth(text) <= width) return text;
  let out = '';
  let shown = 0;
  let coloured = false;
  for (const part of text.split(/(\u001b\[[0-9;?]*[A-Za-z])/)) {
    if (part.startsWith('\u001b[')) {
      out += part;
      coloured = true;
      continue;
    }
    for (const char of part) {
      if (shown === width - 1) return `${out}…${coloured ? '\u001b[0m' : ''}`;
      out += char;
      shown += 1;
    }
  }
  return out;
}

/** Pads with spaces to `width` visible columns (never cuts). */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleWidth(text)));
}
