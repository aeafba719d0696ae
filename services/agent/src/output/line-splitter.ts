// Splits a byte stream into lines: chunks may end mid-line or mid-character, CRLF counts as one break,
// and a line longer than the cap is cut (with a note of how much was dropped) instead of growing without
// bound, e.g. a progress bar that never prints a newline.
import { StringDecoder } from 'node:string_decoder';

export const MAX_LINE_CHARS = 16 * 1024;

export interface Line {
  text: string;
  /** The line was longer than the cap; `text` holds its start and a note. Not to be read as metrics. */
  truncated: boolean;
}

export interface LineSplitter {
  write(chunk: Buffer | string): void;
  /** Emits what is left as a last line, if anything. */
  end(): void;
}

export function createLineSplitter(onLine: (line: Line) => void, maxChars = MAX_LINE_CHARS): LineSplitter {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let dropped = 0;

  const append = (text: string) => {
    const room = maxChars - partial.length;
    if (text.length <= room) partial += text;
    else {
      partial += text.slice(0, room);
      dropped += text.length - room;
    }
  };

  const emit = () => {
    let text = partial;
    if (dropped === 0 && text.endsWith('\r')) text = text.slice(0, -1);
    if (dropped > 0) {
      const note = ` … [${dropped} more characters cut]`;
      text = cutAt(text, maxChars - note.length) + note;
    }
    onLine({ text, truncated: dropped > 0 });
    partial = '';
    dropped = 0;
  };

  const feed = (text: string) => {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) break;
      append(text.slice(start, newline));
      emit();
      start = newline + 1;
    }
    if (start < text.length) append(text.slice(start));
  };

  return {
    write(chunk) {
      feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    },
    end() {
      feed(decoder.end());
      if (partial !== '' || dropped > 0) emit();
    },
  };
}

/** Cuts to at most `length` characters without splitting a surrogate pair. */
function cutAt(text: string, length: number): string {
  if (text.length <= length) return text;
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}
