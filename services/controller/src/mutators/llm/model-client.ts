// The Messages API through @anthropic-ai/sdk, with retries we own: the SDK's are off so that a
// `retry-after` is honoured exactly, every wait is logged, and the study hears "unavailable" only
// after a whole retry budget has passed, not after a couple of quick tries.
import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { Logger } from 'pino';

export interface ModelClientOptions {
  apiKey: string | undefined;
  baseUrl: string | undefined;
  /** How long transient failures (429, 529, 5xx, network) are retried before the model counts as down. */
  retryBudgetMs?: number;
  /** The longest single wait, whatever retry-after says. */
  maxDelayMs?: number;
  log?: Logger;
}

/** The model could not be reached for a whole retry budget, or refused the request outright. */
export class ModelUnavailableError extends Error {
  constructor(
    message: string,
    /** Whether waiting could help (rate limits, overload, a network problem) or not (a bad key). */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export interface ModelClient {
  create(params: MessageCreateParamsNonStreaming): Promise<Message>;
}

export function createModelClient(options: ModelClientOptions): ModelClient {
  if (!options.apiKey) {
    return {
      create: () => Promise.reject(new ModelUnavailableError('ANTHROPIC_API_KEY is not set: the llm mutator cannot call its model', false)),
    };
  }
  const client = new Anthropic({ apiKey: options.apiKey, ...(options.baseUrl ? { baseURL: options.baseUrl } : {}), maxRetries: 0, timeout: 120_000 });
  const budgetMs = options.retryBudgetMs ?? 120_000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  return {
    async create(params) {
      const started = Date.now();
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await client.messages.create(params);
        } catch (error) {
          const transient = isTransient(error);
          const detail = describe(error);
          if (!transient) throw new ModelUnavailableError(`the model refused the request: ${detail}`, false);
          const delay = Math.min(maxDelayMs, retryAfterMs(error) ?? Math.round(500 * 2 ** Math.min(attempt, 8) * (0.75 + Math.random() / 2)));
          if (Date.now() - started + delay > budgetMs) {
            throw new ModelUnavailableError(`the model is unavailable: ${detail} (${attempt + 1} tries in ${Math.round((Date.now() - started) / 1000)} s)`, true);
          }
          options.log?.warn({ attempt: attempt + 1, delayMs: delay }, `model call failed, retrying: ${detail}`);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    },
  };
}

function isTransient(error: unknown): boolean {
  if (error instanceof Anthropic.APIConnectionError) return true;
  if (error instanceof Anthropic.APIError) return error.status === 429 || error.status === 408 || error.status === 409 || (error.status ?? 0) >= 500;
  return false;
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof Anthropic.APIError) || !error.headers) return undefined;
  const header = error.headers.get('retry-after-ms') ?? error.headers.get('retry-after');
  if (header === null) return undefined;
  const ms = error.headers.get('retry-after-ms') !== null ? Number(header) : Number(header) * 1000;
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describe(error: unknown): string {
  // The SDK's message is the status and the whole body; the API's own words are in apiMessage.
  if (error instanceof Anthropic.APIError) {
    const said = (error as { apiMessage?: string }).apiMessage ?? error.message.replace(/^\d+\s*/, '');
    return `${error.status ?? 'no status'} ${said}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}
