// What a model call costs. Prices are USD per million tokens, from the study's `mutator.pricing`, else this
// table (Anthropic's list prices for each family); an unknown model with no pricing costs nothing, and the
// study's log says so once.
import type { ModelPricingSpec } from '../../../../../schemas/src/study-spec.js';
import type { ModelUsage } from '../../store/schema.js';

const LIST_PRICES: { prefix: string; pricing: ModelPricingSpec }[] = [
  { prefix: 'claude-opus-4-5', pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheWritePerMTok: 6.25, cacheReadPerMTok: 0.5 } },
  { prefix: 'claude-opus', pricing: { inputPerMTok: 15, outputPerMTok: 75, cacheWritePerMTok: 18.75, cacheReadPerMTok: 1.5 } },
  { prefix: 'claude-sonnet', pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75, cacheReadPerMTok: 0.3 } },
  { prefix: 'claude-haiku-4', pricing: { inputPerMTok: 1, outputPerMTok: 5, cacheWritePerMTok: 1.25, cacheReadPerMTok: 0.1 } },
  { prefix: 'claude-3-5-haiku', pricing: { inputPerMTok: 0.8, outputPerMTok: 4, cacheWritePerMTok: 1, cacheReadPerMTok: 0.08 } },
];

export function pricingFor(model: string, configured: ModelPricingSpec | undefined): ModelPricingSpec | null {
  return configured ?? LIST_PRICES.find((entry) => model.startsWith(entry.prefix))?.pricing ?? null;
}

export interface CallTokens {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

export function costUsd(tokens: CallTokens, pricing: ModelPricingSpec | null): number {
  if (!pricing) return 0;
  return (
    (tokens.inputTokens * pricing.inputPerMTok +
      tokens.outputTokens * pricing.outputPerMTok +
      tokens.cacheCreationTokens * pricing.cacheWritePerMTok +
      tokens.cacheReadTokens * pricing.cacheReadPerMTok) / 1_000_000
  );
}

export function emptyUsage(model: string): ModelUsage {
  return { model, calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, costUsd: 0 };
}

export function addCall(usage: ModelUsage, tokens: CallTokens, pricing: ModelPricingSpec | null): ModelUsage {
  return {
    model: usage.model,
    calls: usage.calls + 1,
    inputTokens: usage.inputTokens + tokens.inputTokens,
    outputTokens: usage.outputTokens + tokens.outputTokens,
    cacheCreationTokens: usage.cacheCreationTokens + tokens.cacheCreationTokens,
    cacheReadTokens: usage.cacheReadTokens + tokens.cacheReadTokens,
    costUsd: usage.costUsd + costUsd(tokens, pricing),
  };
}
