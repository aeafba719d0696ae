// A stand-in for the Anthropic Messages API on node:http, for tests that drive a client through the real
// @anthropic-ai/sdk (`new Anthropic({ apiKey, baseURL: server.url })`): POST /v1/messages with the API's
// checks, errors and prompt-cache billing, answered by a policy, with injectable faults and latency.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import type { ErrorResponse } from '@anthropic-ai/sdk/resources/shared';
import { buildMessage, PolicyError } from './answer.js';
import { AnthropicApiError, authentication, internal, invalidRequest, notFound, overloaded, rateLimited } from './errors.js';
import { requestId } from './ids.js';
import { changeOneConstantPolicy, type Policy } from './policy.js';
import { PromptCache } from './prompt-cache.js';
import { validateRequest, type MessagesRequest } from './validate.js';

export type Fault = { status: 429; retryAfterSeconds?: number } | { status: 529 } | { status: 500 } | { status: 'reset' };

export interface AnthropicApiServerOptions {
  /** Answers every valid request; changeOneConstantPolicy by default. */
  policy?: Policy;
  /** Delay before every answer on /v1/messages, faults and refusals included. */
  latencyMs?: number;
  /** The key required in x-api-key or `Authorization: Bearer` (what the SDK sends); random by default. */
  apiKey?: string;
  /**
   * Prefixes shorter than this are never cached, however marked, as on the real API (whose minimum is
   * 1024 tokens or more, depending on the model). 1024 by default; 0 caches any prefix.
   */
  minCacheableTokens?: number;
  /** The prompt cache's clock (Date.now by default), to test expiry without waiting 5 minutes. */
  now?: () => number;
}

export interface RecordedRequest {
  /** Date.now() when the body had arrived, before any latency. */
  at: number;
  /** The request-id header it was answered with (error bodies carry it too). */
  requestId: string;
  headers: IncomingHttpHeaders;
  /** The parsed body as sent, unchecked: a refused request's body may be anything (its raw text if not JSON). */
  body: MessagesRequest;
  /** What it was answered; undefined while in flight, 'reset' when its connection was destroyed. */
  status?: number | 'reset';
  response?: Message | ErrorResponse;
}

export interface FaultInjection {
  /** The next `count` requests (with a valid key) get `fault` instead of an answer, in order after any queued. */
  next(count: number, fault: Fault): void;
}

export interface AnthropicApiServer {
  /** The base URL for the SDK (no trailing slash, no /v1). */
  url: string;
  apiKey: string;
  /** Every POST /v1/messages, in arrival order, refused and faulted ones included. */
  requests: RecordedRequest[];
  setPolicy(policy: Policy): void;
  setLatency(ms: number): void;
  inject: FaultInjection;
  /** While down, every request gets 529 overloaded_error. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startAnthropicApiServer(options: AnthropicApiServerOptions = {}): Promise<AnthropicApiServer> {
  const apiKey = options.apiKey ?? `sk-ant-test-${randomBytes(16).toString('hex')}`;
  let policy = options.policy ?? changeOneConstantPolicy;
  let latencyMs = options.latencyMs ?? 0;
  let isDown = false;
  let calls = 0;
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  const cache = new PromptCache({ now: options.now ?? Date.now, minCacheableTokens: options.minCacheableTokens ?? 1024 });

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) send(response, requestId(), internal(String(error)));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = requestId();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const raw = await readBody(request);
    if (request.method !== 'POST' || path !== '/v1/messages') {
      return void send(response, id, notFound(`${request.method} ${path} does not exist on this test server: only POST /v1/messages is served`));
    }
    const parsed = parseJson(raw);
    const record: RecordedRequest = { at: Date.now(), requestId: id, headers: request.headers, body: (parsed.ok ? parsed.value : raw) as MessagesRequest };
    requests.push(record);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));

    try {
      if (isDown) throw overloaded();
      checkKey(request.headers, apiKey);
      const fault = faults.shift();
      if (fault?.status === 'reset') {
        record.status = 'reset';
        // An RST rather than a clean close: the client sees a network error mid-request.
        return void request.socket.resetAndDestroy();
      }
      if (fault) throw fault.status === 429 ? rateLimited(fault.retryAfterSeconds) : fault.status === 529 ? overloaded() : internal();
      if (!request.headers['anthropic-version']) throw invalidRequest('anthropic-version: header is required');
      if (!parsed.ok) throw invalidRequest(`There was an issue with your request body: it is not valid JSON (${parsed.error})`);
      const valid = validateRequest(parsed.value);
      const answer = await policy(valid, { callIndex: calls++ });
      const message = buildMessage(valid, answer, () => cache.account(valid));
      record.status = 200;
      record.response = message;
      sendJson(response, 200, message, { 'request-id': id });
    } catch (error) {
      const apiError =
        error instanceof AnthropicApiError
          ? error
          : // A broken policy is the test's bug: say so, and tell the SDK not to retry it.
            new AnthropicApiError(500, 'api_error', `test server policy failed: ${error instanceof Error ? error.message : String(error)}`, { 'x-should-retry': 'false' });
      if (!(error instanceof AnthropicApiError) && !(error instanceof PolicyError)) console.error('anthropic-api test server: the policy threw', error);
      record.status = apiError.status;
      record.response = send(response, id, apiError);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiKey,
    requests,
    setPolicy(next) {
      policy = next;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    inject: {
      next(count, fault) {
        for (let i = 0; i < count; i++) faults.push(fault);
      },
    },
    down() {
      isDown = true;
    },
    up() {
      isDown = false;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The key may come as x-api-key or, as @anthropic-ai/sdk 1.x sends an `apiKey`, as `Authorization: Bearer`. */
function checkKey(headers: IncomingHttpHeaders, apiKey: string): void {
  const header = headers['x-api-key'];
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
  if (header === undefined && bearer === undefined) throw authentication('x-api-key header is required');
  if (header !== undefined && header !== apiKey) throw authentication('invalid x-api-key');
  if (bearer !== undefined && bearer !== apiKey) throw authentication('Invalid bearer token');
}

function send(response: ServerResponse, id: string, error: AnthropicApiError): ErrorResponse {
  const body = error.toBody(id);
  sendJson(response, error.status, body, { 'request-id': id, ...error.headers });
  return body;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
