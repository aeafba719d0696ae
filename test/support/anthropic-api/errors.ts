// Errors as the Messages API sends them: `{ type: 'error', error: { type, message }, request_id }` with
// the matching HTTP status, which is what the SDK turns into BadRequestError, RateLimitError and so on.
import type { ErrorObject, ErrorResponse } from '@anthropic-ai/sdk/resources/shared';

/** Thrown inside the server; the router turns it into the error response. */
export class AnthropicApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorObject['type'],
    message: string,
    /** Extra response headers, e.g. `retry-after` on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AnthropicApiError';
  }

  toBody(requestId: string): ErrorResponse {
    return { type: 'error', error: { type: this.type, message: this.message }, request_id: requestId };
  }
}

export function invalidRequest(message: string): AnthropicApiError {
  return new AnthropicApiError(400, 'invalid_request_error', message);
}

export function authentication(message: string): AnthropicApiError {
  return new AnthropicApiError(401, 'authentication_error', message);
}

export function notFound(message = 'Not found'): AnthropicApiError {
  return new AnthropicApiError(404, 'not_found_error', message);
}

export function rateLimited(retryAfterSeconds: number | undefined): AnthropicApiError {
  // The real message, with a made-up organization: clients must not parse it, only the status and headers.
  return new AnthropicApiError(
    429,
    'rate_limit_error',
    'This request would exceed the rate limit for your organization (00000000-0000-4000-8000-000000000000) of 50 requests per minute. ' +
      'For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the response headers for current usage. ' +
      'Please reduce the prompt length or the maximum tokens requested, or try again later.',
    retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  );
}

export function overloaded(): AnthropicApiError {
  return new AnthropicApiError(529, 'overloaded_error', 'Overloaded');
}

export function internal(message = 'Internal server error'): AnthropicApiError {
  return new AnthropicApiError(500, 'api_error', message);
}
