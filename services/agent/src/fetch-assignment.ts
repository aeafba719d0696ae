// Fetches the run's assignment from the controller: GET /v1/runs/:id/assignment with the run's token.
// A controller that is restarting answers 5xx or not at all for a moment, so those are retried with
// backoff; a refusal (401/403/404) will not change by waiting and fails at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { formatFieldErrors, validateWithDefaults } from '../../../schemas/src/validate.js';
import { RunAssignment } from '../../../schemas/src/messages.js';
import { AssignmentFetchError, type AssignmentFetchFailure } from './errors.js';

export interface FetchAssignmentInput {
  controllerUrl: URL;
  runId: string;
  token: string;
}

export interface RetryPolicy {
  /** Give up once this much time has passed since the first attempt. */
  totalMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Per request: a controller that accepts the connection but never answers is retried too. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { totalMs: 30_000, initialDelayMs: 250, maxDelayMs: 5_000, requestTimeoutMs: 10_000 };

const REFUSALS: Record<number, { failure: AssignmentFetchFailure; meaning: string }> = {
  401: { failure: 'unauthorized', meaning: 'the controller rejected the run token (401)' },
  403: { failure: 'forbidden', meaning: 'the run token is not allowed to read this run (403)' },
  404: { failure: 'not-found', meaning: 'the controller does not know this run (404)' },
};

export function assignmentUrl(controllerUrl: URL, runId: string): URL {
  const base = controllerUrl.href.endsWith('/') ? controllerUrl.href : `${controllerUrl.href}/`;
  return new URL(`v1/runs/${encodeURIComponent(runId)}/assignment`, base);
}

/** `signal` abandons the fetch (the controller's channel closed while waiting); it rejects with the abort reason. */
export async function fetchAssignment(
  input: FetchAssignmentInput,
  retry: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<RunAssignment> {
  const url = assignmentUrl(input.controllerUrl, input.runId);
  const deadline = Date.now() + retry.totalMs;
  let delay = retry.initialDelayMs;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    signal?.throwIfAborted();
    const outcome = await requestOnce(url, input.token, retry.requestTimeoutMs, signal);
    if (outcome.kind === 'ok') return checkAssignment(outcome.body, input.runId);
    if (outcome.kind === 'refused') throw outcome.error;
    const wait = Math.min(delay, deadline - Date.now());
    if (wait <= 0) {
      throw new AssignmentFetchError(
        'unreachable',
        `could not fetch the assignment from ${url.href} after ${attempts} attempts in ${Math.round(retry.totalMs / 1000)}s: ${outcome.problem}`,
      );
    }
    await sleep(wait, undefined, signal ? { signal } : {}).catch((error: unknown) => {
      signal?.throwIfAborted();
      throw error;
    });
    delay = Math.min(delay * 2, retry.maxDelayMs);
  }
}

type RequestOutcome =
  | { kind: 'ok'; body: unknown }
  | { kind: 'refused'; error: AssignmentFetchError }
  | { kind: 'retry'; problem: string };

async function requestOnce(url: URL, token: string, timeoutMs: number, abandon?: AbortSignal): Promise<RequestOutcome> {
  let response: Response;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: abandon ? AbortSignal.any([abandon, timeout]) : timeout,
    });
  } catch (error) {
    abandon?.throwIfAborted();
    return { kind: 'retry', problem: describeNetworkError(error) };
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    return { kind: 'retry', problem: `the controller answered ${response.status}` };
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const refusal = REFUSALS[response.status];
    const detail = serverMessage(text);
    const meaning = refusal?.meaning ?? `the controller answered ${response.status}`;
    return {
      kind: 'refused',
      error: new AssignmentFetchError(refusal?.failure ?? 'rejected', `${meaning} for ${url.href}${detail ? `: ${detail}` : ''}`),
    };
  }
  try {
    return { kind: 'ok', body: JSON.parse(text) };
  } catch (error) {
    return { kind: 'refused', error: new AssignmentFetchError('invalid', `the assignment from ${url.href} is not JSON`, { cause: error }) };
  }
}

export function checkAssignment(body: unknown, runId: string): RunAssignment {
  const checked = validateWithDefaults<RunAssignment>(RunAssignment, body);
  if (!checked.ok) {
    throw new AssignmentFetchError('invalid', `the assignment does not match the RunAssignment schema:\n${formatFieldErrors(checked.errors)}`);
  }
  if (checked.value.runId !== runId) {
    throw new AssignmentFetchError('invalid', `the controller sent the assignment of run ${checked.value.runId}, not ${runId}`);
  }
  return checked.value;
}

/** The controller's error bodies are `{ message }` (or `{ error }`); fall back to a short raw excerpt. */
function serverMessage(text: string): string {
  if (text === '') return '';
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: use the text itself
  }
  return text.slice(0, 200);
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'the request timed out';
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
