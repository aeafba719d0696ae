// Picks the mutator a study declares.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { AutoresearchError } from '../errors.js';
import { LlmMutator } from './llm/llm-mutator.js';
import { createModelClient, type ModelClientOptions } from './llm/model-client.js';
import type { Mutator } from './mutator.js';
import { createParamsMutator } from './params/params-mutator.js';

/** What mutators need from the controller: the model's API, for `llm`. */
export interface MutatorDeps {
  model?: ModelClientOptions;
}

export function mutatorForSpec(spec: StudySpec, deps: MutatorDeps = {}): Mutator {
  if (spec.mutator.kind === 'params') {
    return createParamsMutator(spec.mutator, { metric: spec.objective.metric, direction: spec.objective.direction });
  }
  if (spec.mutator.kind === 'llm') {
    return new LlmMutator(spec.mutator, createModelClient(deps.model ?? { apiKey: undefined, baseUrl: undefined }));
  }
  throw new AutoresearchError('MUTATOR_UNAVAILABLE', `mutator "${(spec.mutator as { kind: string }).kind}" is not available in this version`);
}
