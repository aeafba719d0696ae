// The Messages API for one skill run, through @anthropic-ai/sdk. The SDK retries what waiting can fix
// (429, 5xx, 529, a dropped connection) `retries` times, honouring retry-after; every HTTP attempt is
// counted, and every answer's tokens summed, for the run's report. The run's signal aborts calls in flight.
import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { ModelApiSettings } from '../config.js';
import { AgentError } from '../errors.js';

/** A model call failed for good: refused, or still failing after its retries. */
export class ModelCallError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_CALL', message, options);
  }
}

export interface ModelUsage {
  /** HTTP requests made, retries included. */
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

export interface ModelCaller {
  /** Rejects with ModelCallError, never anything else. */
  create(params: MessageCreateParamsNonStreaming): Promise<Message>;
  usage(): ModelUsage;
}

export interface ModelCallerOptions {
  api: ModelApiSettings | undefined;
  retries: number;
  /** Per HTTP request; the run's budget bounds the whole anyway. */
  timeoutMs: number;
  signal: AbortSignal;
}

export function createModelCaller(options: ModelCallerOptions): ModelCaller {
  const usage: ModelUsage = { calls: 0, inputTokens: 0, outputTokens: 0 };
  const { api } = options;
  if (api === undefined) {
    return {
      create: async (params) => {
        throw new ModelCallError(`ANTHROPIC_API_KEY is not set on the agent, so it cannot call ${params.model}`);
      },
      usage: () => ({ ...usage }),
    };
  }
  const client = new Anthropic({
    apiKey: api.apiKey,
    // null, not undefined: the SDK would otherwise read ANTHROPIC_BASE_URL itself, and config.ts is the only reader.
    baseURL: api.baseUrl ?? null,
    maxRetries: options.retries,
    timeout: options.timeoutMs,
    fetch: (input, init) => {
      usage.calls += 1;
      return fetch(input, init);
    },
  });
  return {
    async create(params) {
      const before = usage.calls;
      let message: Message;
      try {
        message = await client.messages.create(params, { signal: options.signal });
      } catch (error) {
        const tries = usage.calls - before;
        throw new ModelCallError(`${describeModelError(error)}${tries > 1 ? ` (${tries} tries)` : ''}`, { cause: error });
      }
      const spent = message.usage;
      usage.inputTokens += spent.input_tokens + (spent.cache_creation_input_tokens ?? 0) + (spent.cache_read_input_tokens ?? 0);
      usage.outputTokens += spent.output_tokens;
      return message;
    },
    usage: () => ({ ...usage }),
  };
}

function describeModelError(error: unknown): string {
  if (error instanceof Anthropic.APIUserAbortError) return 'aborted';
  if (error instanceof Anthropic.APIConnectionError) {
    const cause = (error.cause as { code?: string; message?: string } | undefined);
    return `${error.message}${cause?.code ?? cause?.message ? ` (${cause.code ?? cause.message})` : ''}`;
  }
  // The SDK's message is the status and the whole body; the API's own words are in apiMessage.
  if (error instanceof Anthropic.APIError) return `${error.status ?? 'no status'} ${error.apiMessage ?? error.message.replace(/^\d+\s*/, '')}`.trim();
  return error instanceof Error ? error.message : String(error);
}
