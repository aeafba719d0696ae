// A study bound for Kubernetes is checked when it is submitted, not when its first Job is built: the
// user hears "run.kubernetes.image: …" from the API at once instead of finding a crashed baseline later.
import type { StudySpec } from '../../../../../schemas/src/study-spec.js';
import { InvalidInputError } from '../../errors.js';
import { stagesOf } from '../../spec/stages.js';
import { activeDeadlineSeconds, resolveKubernetesRun } from './build-job.js';
import { JobSpecError } from './job-spec-error.js';

export function admitKubernetesSpec(spec: StudySpec): void {
  try {
    // Every stage's Job: each has its own budget, and may name a GPU class of its own.
    for (const stage of stagesOf(spec)) {
      const k8s = resolveKubernetesRun(spec, stage.index);
      activeDeadlineSeconds(spec, k8s.startupAllowanceSeconds, stage.index);
    }
  } catch (error) {
    if (!(error instanceof JobSpecError)) throw error;
    const message = error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message;
    throw new InvalidInputError([{ path: error.field, message }], 'this controller runs studies on Kubernetes');
  }
}
