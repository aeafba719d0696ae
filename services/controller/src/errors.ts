// Named errors with a stable code. api/error-handler.ts is the one place that maps them to HTTP, and
// scheduler/record-run-outcome.ts the one place that maps run failures to an experiment outcome.
import type { FieldError } from '../../../schemas/src/validate.js';

export class AutoresearchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A study spec (or another request body) that does not validate. Nothing was changed. */
export class InvalidInputError extends AutoresearchError {
  constructor(
    readonly fieldErrors: FieldError[],
    summary = 'invalid input',
  ) {
    super('INVALID_INPUT', `${summary}:\n${fieldErrors.map((e) => `  ${e.path || '(root)'}: ${e.message}`).join('\n')}`);
  }
}

export class NotFoundError extends AutoresearchError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class UnauthorizedError extends AutoresearchError {
  constructor(message = 'a valid bearer token is required') {
    super('UNAUTHORIZED', message);
  }
}

export class ConflictError extends AutoresearchError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** Another controller already made this change from this head: two controllers never run it twice. */
export class DuplicateChangeError extends AutoresearchError {
  constructor(changeKey: string) {
    super('DUPLICATE_CHANGE', `the change "${changeKey}" was already tried from this head`);
  }
}

/** The study already has as many experiments as its stop conditions allow (another controller made the last). */
export class ExperimentCapError extends AutoresearchError {
  constructor(maxExperiments: number) {
    super('EXPERIMENT_CAP', `the study already has its ${maxExperiments} experiments`);
  }
}

/** The branch already runs its search.candidatesPerHead candidates from this head. */
export class GenerationFullError extends AutoresearchError {
  constructor(candidatesPerHead: number) {
    super('GENERATION_FULL', `the branch already has its ${candidatesPerHead} candidates from this head`);
  }
}
