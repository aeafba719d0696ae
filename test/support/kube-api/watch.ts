// Watch streams: newline-delimited JSON events, resumable from a resourceVersion, filtered by selectors,
// with objects that move in or out of a selector reported as ADDED or DELETED as the apiserver does.
import type { ServerResponse } from 'node:http';
import { KubeApiError } from './status.js';
import type { KubeObject, ObjectStore, ResourceType, StoredEvent, WatchEventType } from './store.js';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  resourceVersion: string | null;
  timeoutSeconds: number | undefined;
  matches(object: KubeObject): boolean;
  /** Holds back this stream's events (in order), as a slow or congested watch connection does. */
  lagMs?: () => number;
}

export function serveWatch(store: ObjectStore, request: WatchRequest, response: ServerResponse, streams: Set<ServerResponse>): void {
  response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  // The apiserver sends its headers at once, before any event: clients (the informers among them) wait for them.
  response.flushHeaders();
  const write = (line: string) => {
    if (!response.writableEnded) response.write(line);
  };
  const send = (type: WatchEventType | 'ERROR', object: unknown) => {
    const line = `${JSON.stringify({ type, object })}\n`;
    const lag = request.lagMs?.() ?? 0;
    // Timers of equal delay fire in the order they were set, so a lagging stream keeps its order.
    if (lag > 0) setTimeout(() => write(line), lag);
    else write(line);
  };
  const inScope = (object: KubeObject) => request.namespace === undefined || object.metadata.namespace === request.namespace;

  let from = Number(request.resourceVersion ?? '0');
  if (!request.resourceVersion || request.resourceVersion === '0') {
    // No version (or "any"): the current state first, as synthetic ADDED events.
    from = Number(store.resourceVersion);
    for (const object of store.list(request.type, request.namespace)) if (request.matches(object)) send('ADDED', object);
  } else if (!Number.isSafeInteger(from)) {
    send('ERROR', new KubeApiError(400, 'BadRequest', `invalid resource version: ${request.resourceVersion}`).toStatus());
    response.end();
    return;
  }

  let unsubscribe: () => void = () => {};
  try {
    unsubscribe = store.subscribe(from, (event: StoredEvent) => {
      if (event.plural !== request.type.plural || !inScope(event.object)) return;
      const now = event.type !== 'DELETED' && request.matches(event.object);
      const before = event.previous ? request.matches(event.previous) : event.type === 'DELETED' && request.matches(event.object);
      if (event.type === 'ADDED' && now) send('ADDED', event.object);
      else if (event.type === 'DELETED' && before) send('DELETED', event.object);
      else if (event.type === 'MODIFIED' && now) send(before ? 'MODIFIED' : 'ADDED', event.object);
      else if (event.type === 'MODIFIED' && before) send('DELETED', event.object);
    });
  } catch (error) {
    // An expired version is reported inside a 200 stream, not as an HTTP 410: that is what clients handle.
    if (!(error instanceof KubeApiError)) throw error;
    send('ERROR', error.toStatus());
    response.end();
    return;
  }

  streams.add(response);
  const timer = request.timeoutSeconds ? setTimeout(() => response.end(), request.timeoutSeconds * 1000) : undefined;
  response.on('close', () => {
    unsubscribe();
    streams.delete(response);
    if (timer) clearTimeout(timer);
  });
}
