// The environment an experiment runs with. Experiment code is untrusted: it gets a minimal, known
// environment and the assignment's own variables, never the agent's token or anything else of the agent's.
import { InvalidAssignmentError } from './errors.js';

export interface ExperimentEnvInput {
  /** The few variables the agent passes on (config.inheritedEnv: PATH, LANG, GPU visibility). */
  inherited: Readonly<Record<string, string>>;
  workdir: string;
  tmpDir: string;
  /** The spec's `run.env`; it may override anything above. */
  assignmentEnv: Readonly<Record<string, string>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function buildExperimentEnv(input: ExperimentEnvInput): Record<string, string> {
  for (const [name, value] of Object.entries(input.assignmentEnv)) {
    if (!ENV_NAME.test(name)) throw new InvalidAssignmentError(`env name ${JSON.stringify(name)} is not a valid variable name`);
    if (value.includes('\0')) throw new InvalidAssignmentError(`env ${name} contains a NUL byte`);
  }
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    ...input.inherited,
    HOME: input.workdir,
    TMPDIR: input.tmpDir,
    // Python block-buffers a piped stdout; unbuffered, its logs and progress arrive while the run goes.
    PYTHONUNBUFFERED: '1',
    ...input.assignmentEnv,
  };
}
