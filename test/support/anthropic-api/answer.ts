// Turns a policy's answer into the Message the API returns: content blocks with fresh ids, the stop
// reason, and usage. The output obeys the request the way the model would: no text before a forced tool
// call, a stop sequence ends the text, and `max_tokens` cuts the answer off (an incomplete tool call keeps
// only the input fields that fit).
import type { ContentBlock, Message, StopReason, Tool } from '@anthropic-ai/sdk/resources/messages';
import { messageId, toolUseId } from './ids.js';
import type { PolicyAnswer } from './policy.js';
import { estimateTokens, type InputUsage } from './prompt-cache.js';
import type { MessagesRequest } from './validate.js';

/** The policy answered something the model could not have; the server answers 500 and says why. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

const CHARS_PER_TOKEN = 4;

/** `input` bills the request (and writes the prompt cache); it is called only once the answer is known to be valid. */
export function buildMessage(request: MessagesRequest, answer: PolicyAnswer, input: () => InputUsage): Message {
  const choice = request.tool_choice;
  const forced = choice?.type === 'any' || choice?.type === 'tool';
  // Validation let only custom tools through.
  const offered = (request.tools ?? []).map((tool) => (tool as Tool).name);

  let call: { name: string; input: Record<string, unknown> } | undefined;
  if ('toolUse' in answer) {
    const name = answer.toolUse.name ?? (choice?.type === 'tool' ? choice.name : offered[0]);
    if (name === undefined) throw new PolicyError('the policy answered with a tool call, but the request offers no tools');
    if (!offered.includes(name)) throw new PolicyError(`the policy called the tool "${name}", which the request does not offer (${offered.join(', ')})`);
    if (choice?.type === 'none') throw new PolicyError('the policy answered with a tool call, but tool_choice is "none"');
    if (choice?.type === 'tool' && choice.name !== name) throw new PolicyError(`the policy called "${name}", but tool_choice forces "${choice.name}"`);
    const toolInput = answer.toolUse.input;
    if (typeof toolInput !== 'object' || toolInput === null || Array.isArray(toolInput)) throw new PolicyError('a tool call input must be a JSON object');
    call = { name, input: toolInput as Record<string, unknown> };
  } else if (forced) {
    throw new PolicyError(`tool_choice ${JSON.stringify(choice)} forces a tool call, but the policy answered with text only`);
  }

  let text = forced ? '' : (answer.text ?? '');
  let stopReason: StopReason = call ? 'tool_use' : 'end_turn';
  let stopSequence: string | null = null;
  for (const sequence of request.stop_sequences ?? []) {
    const at = text.indexOf(sequence);
    if (sequence !== '' && at >= 0 && (stopSequence === null || at < text.indexOf(stopSequence))) stopSequence = sequence;
  }
  if (stopSequence !== null) {
    text = text.slice(0, text.indexOf(stopSequence));
    call = undefined;
    stopReason = 'stop_sequence';
  }

  const callText = call ? `${call.name}${JSON.stringify(call.input)}` : '';
  let outputTokens = estimateTokens(text + callText);
  if (outputTokens > request.max_tokens) {
    let budget = request.max_tokens * CHARS_PER_TOKEN;
    text = text.slice(0, budget);
    budget -= text.length;
    call = call && budget > call.name.length ? { name: call.name, input: fittingFields(call.input, budget - call.name.length) } : undefined;
    stopReason = 'max_tokens';
    stopSequence = null;
    outputTokens = request.max_tokens;
  }

  const content: ContentBlock[] = [];
  if (text !== '') content.push({ type: 'text', text, citations: null });
  if (call) content.push({ type: 'tool_use', id: toolUseId(), name: call.name, input: call.input, caller: { type: 'direct' } });
  return {
    id: messageId(),
    type: 'message',
    role: 'assistant',
    model: request.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      ...input(),
      output_tokens: outputTokens,
      output_tokens_details: { thinking_tokens: 0 },
      server_tool_use: null,
      service_tier: 'standard',
      speed: 'standard',
      inference_geo: null,
    },
  };
}

/** The leading fields of `input` whose JSON fits in `chars`: what survives of a call cut off mid-way. */
function fittingFields(input: Record<string, unknown>, chars: number): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (JSON.stringify({ ...kept, [key]: value }).length > chars) break;
    kept[key] = value;
  }
  return kept;
}
