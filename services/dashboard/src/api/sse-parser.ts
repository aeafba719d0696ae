// The text/event-stream format, parsed incrementally as chunks arrive (the WHATWG "event stream
// interpretation"): fields data, event, id and retry; comments; any of CRLF, LF or CR as line ends.
// Pure, so it is tested in node.

export interface SseMessage {
  /** The last event id seen so far, as a reconnection would send it. */
  lastEventId: string;
  event: string;
  data: string;
}

export class SseParser {
  lastEventId = '';
  /** The reconnection delay the server asked for, if it did. */
  retryMs: number | undefined;
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private pendingCr = false;

  push(chunk: string): SseMessage[] {
    let text = chunk;
    // A CR that ended the previous chunk may be the first half of a CRLF.
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const messages: SseMessage[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      const line = this.buffer.slice(0, end);
      const separatorLength = this.buffer.startsWith('\r\n', end) ? 2 : 1;
      if (separatorLength === 1 && this.buffer[end] === '\r' && end === this.buffer.length - 1) this.pendingCr = true;
      this.buffer = this.buffer.slice(end + separatorLength);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }

  private dispatch(): SseMessage | null {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = '';
    if (data.length === 0) return null;
    return { lastEventId: this.lastEventId, event: event || 'message', data: data.join('\n') };
  }
}
