// Follows a server-sent event stream of the API with fetch(), not EventSource: EventSource cannot send an
// Authorization header, and a token in the URL would end up in logs. Reconnects after a drop with
// Last-Event-ID, so nothing is missed and nothing is seen twice.
import { authHeaders } from './client.js';
import { SseParser } from './sse-parser.js';

export interface StreamEvent {
  id: number;
  studyId: string | null;
  type: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface FollowOptions {
  /** Events after this id; only new ones when absent. */
  after?: number;
  onEvent(event: StreamEvent): void;
  /** Connected, or waiting to reconnect. */
  onState?(state: 'live' | 'reconnecting'): void;
  onUnauthorized?(): void;
}

const MAX_BACKOFF_MS = 10_000;

/** Starts following; returns the function that stops. */
export function followEvents(path: string, options: FollowOptions): () => void {
  const stop = new AbortController();
  void (async () => {
    let lastId = options.after;
    let backoff = 1000;
    while (!stop.signal.aborted) {
      const parser = new SseParser();
      try {
        const url = lastId === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}after=${lastId}`;
        const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
        if (lastId !== undefined) headers['last-event-id'] = String(lastId);
        const response = await fetch(url, { headers, signal: stop.signal, cache: 'no-store' });
        if (response.status === 401) {
          options.onUnauthorized?.();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        options.onState?.('live');
        backoff = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            const event = JSON.parse(message.data) as StreamEvent;
            lastId = event.id;
            options.onEvent(event);
          }
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        console.warn('event stream dropped; reconnecting', error);
      }
      if (stop.signal.aborted) return;
      options.onState?.('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, parser.retryMs ?? backoff));
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  })();
  return () => stop.abort();
}
