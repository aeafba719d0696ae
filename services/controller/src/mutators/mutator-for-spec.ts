// Picks the mutator a study declares.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { AutoresearchError } from '../errors.js';
import type { Mutator } from './mutator.js';
import { createParamsMutator } from './params/params-mutator.js';

export function mutatorForSpec(spec: StudySpec): Mutator {
  if (spec.mutator.kind === 'params') {
    return createParamsMutator(spec.mutator, { metric: spec.objective.metric, direction: spec.objective.direction });
  }
  throw new AutoresearchError('MUTATOR_UNAVAILABLE', `mutator "${spec.mutator.kind}" is not available in this version`);
}
