// Named errors with a stable code. outcome.ts is the one place that turns a failed run into a status;
// main.ts the one place that turns an error before the run into the agent's exit code.

export class AgentError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A command-line option or environment variable is missing or wrong; the message names it. */
export class AgentConfigError extends AgentError {
  constructor(message: string) {
    super('AGENT_CONFIG', message);
  }
}

export type AssignmentFetchFailure = 'unauthorized' | 'forbidden' | 'not-found' | 'rejected' | 'invalid' | 'unreachable';

/** The controller would not, or could not, hand out this run's assignment. */
export class AssignmentFetchError extends AgentError {
  constructor(
    readonly failure: AssignmentFetchFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('ASSIGNMENT_FETCH', message, options);
  }
}

/** The revision (or the spec) names a path that is absolute, climbs out of the work directory, or goes through a link. */
export class UnsafePathError extends AgentError {
  constructor(readonly path: string, problem: string) {
    super('UNSAFE_PATH', `path ${JSON.stringify(path)} ${problem}`);
  }
}

/** The assignment is well-formed but cannot be run as given (bad file content, env name, metrics source). */
export class InvalidAssignmentError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ASSIGNMENT', message, options);
  }
}

/** The metrics could not be read: a bad regex, a missing or malformed metrics file. */
export class MetricsError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('METRICS', message, options);
  }
}

/** The channel to the controller is gone; nothing more can be delivered. */
export class TransportClosedError extends AgentError {
  constructor(message = 'the channel to the controller is closed') {
    super('TRANSPORT_CLOSED', message);
  }
}
