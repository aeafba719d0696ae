// A run that cannot become a valid Job. Raised before anything is sent to the API server, so the field
// and the problem reach the user instead of a 422 from Kubernetes.
import { AutoresearchError } from '../../errors.js';

export class JobSpecError extends AutoresearchError {
  constructor(
    /** The dotted spec path, e.g. `run.kubernetes.gpus`. */
    readonly field: string,
    problem: string,
  ) {
    super('INVALID_JOB_SPEC', `${field}: ${problem}`);
  }
}
