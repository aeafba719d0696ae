// Errors raised by the store itself. Missing rows use the shared NotFoundError from ../errors.ts.
import { AutoresearchError } from '../errors.js';

/** The database could not be reached (after retries) or could not be opened. */
export class StoreUnavailableError extends AutoresearchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL: still never print what could be a password.
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
