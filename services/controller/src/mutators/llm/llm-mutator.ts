// The language-model mutator: Claude reads the head, the history and the failure analysis and proposes
// one change through a tool call. An invalid proposal goes back with its exact error, up to
// `invalidRetries` times, before it is recorded as an invalid experiment.
import type { MessageParam, ContentBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { LlmMutatorSpec } from '../../../../../schemas/src/study-spec.js';
import type { ModelUsage } from '../../store/schema.js';
import type { MutationContext, Mutator, Proposal } from '../mutator.js';
import type { ModelClient } from './model-client.js';
import { addCall, emptyUsage, pricingFor } from './pricing.js';
import { PROPOSE_TOOL, systemPrompt, userPrompt } from './prompt.js';
import { validateProposal, type ProposedChange } from './validate-proposal.js';

export class LlmMutator implements Mutator {
  readonly kind = 'llm';
  readonly wantsEvidence = true;

  constructor(
    private readonly spec: LlmMutatorSpec,
    private readonly client: ModelClient,
  ) {}

  async propose(ctx: MutationContext): Promise<Proposal> {
    const pricing = pricingFor(this.spec.model, this.spec.pricing);
    const tried = new Map<string, string>();
    for (const e of ctx.history) {
      if (e.parentRevisionId === ctx.head.revisionId && e.changeKey !== null) tried.set(e.changeKey, `#${e.number} ${e.description}`);
    }
    const system = systemPrompt(ctx, this.spec.maxDiffLines);
    const messages: MessageParam[] = [{ role: 'user', content: userPrompt(ctx, this.spec.historyLimit) }];
    let usage: ModelUsage = emptyUsage(this.spec.model);
    let lastError = '';
    let lastChange: ProposedChange | null = null;

    for (let ask = 0; ask <= this.spec.invalidRetries; ask += 1) {
      // Throws ModelUnavailableError after its own retries: the caller pauses the study.
      const answer = await this.client.create({
        model: this.spec.model,
        max_tokens: this.spec.maxTokens,
        system,
        tools: [PROPOSE_TOOL],
        tool_choice: { type: 'tool', name: PROPOSE_TOOL.name },
        messages,
      });
      usage = addCall(usage, {
        inputTokens: answer.usage.input_tokens,
        outputTokens: answer.usage.output_tokens,
        cacheCreationTokens: answer.usage.cache_creation_input_tokens ?? 0,
        cacheReadTokens: answer.usage.cache_read_input_tokens ?? 0,
      }, pricing);
      messages.push({ role: 'assistant', content: answer.content as ContentBlockParam[] });
      const call = answer.content.find((block) => block.type === 'tool_use' && block.name === PROPOSE_TOOL.name);
      if (!call || call.type !== 'tool_use') {
        lastError = 'the answer did not use the propose_change tool';
        messages.push({ role: 'user', content: `Invalid: ${lastError}. Answer with the propose_change tool.` });
        continue;
      }
      const checked = validateProposal(call.input, { files: ctx.head.files, mutablePaths: ctx.mutablePaths, maxDiffLines: this.spec.maxDiffLines, tried, ...(ctx.flavor === 'skill' && { maxEdits: 1 }) });
      if (checked.ok) {
        return { ...checked.change, changeKey: checked.changeKey, usage };
      }
      lastError = checked.error;
      lastChange = checked.change ?? lastChange;
      messages.push({
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: call.id, is_error: true, content: `Invalid proposal: ${checked.error}` },
          { type: 'text', text: 'Fix it, or propose a different single change, with the propose_change tool.' },
        ],
      });
    }
    const tries = this.spec.invalidRetries + 1;
    return {
      hypothesis: lastChange?.hypothesis ?? '',
      variable: lastChange?.variable ?? '',
      description: lastChange?.description ?? 'no valid proposal',
      changeKey: '',
      edits: lastChange?.edits ?? [],
      invalid: `no valid proposal after ${tries} tr${tries === 1 ? 'y' : 'ies'}: ${lastError}`,
      usage,
    };
  }
}
