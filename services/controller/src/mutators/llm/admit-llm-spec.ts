// A study whose mutator is `llm` is refused up front when this controller has no key for the model:
// otherwise it would be created, then sit paused forever on "ANTHROPIC_API_KEY is not set".
import type { StudySpec } from '../../../../../schemas/src/study-spec.js';
import { InvalidInputError } from '../../errors.js';

export function admitLlmSpec(spec: StudySpec, apiKey: string | undefined): void {
  if (spec.mutator.kind === 'llm' && !apiKey) {
    throw new InvalidInputError(
      [{ path: 'mutator.kind', message: '"llm" needs ANTHROPIC_API_KEY in the controller\'s environment (in a cluster, the autoresearch-secrets Secret)' }],
      'the language-model mutator has no API key',
    );
  }
}
