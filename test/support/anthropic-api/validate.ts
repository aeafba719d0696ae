// The request checks the Messages API makes before any model runs, with its field-path messages
// ("messages.2.content.0: unexpected `tool_use_id` …"), so that a client which builds a request the real
// API would refuse fails here too instead of passing against a lenient stand-in.
import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import { invalidRequest } from './errors.js';

export type MessagesRequest = MessageCreateParamsBase;

type Json = Record<string, unknown>;

/** The body fields of MessageCreateParamsBase (user_profile_id and workspace_id travel as headers),
 * plus the sampling fields the API still takes. Anything else is an extra input, which the API refuses. */
const TOP_LEVEL_FIELDS = new Set([
  'model', 'max_tokens', 'messages', 'cache_control', 'container', 'diagnostics', 'inference_geo', 'metadata',
  'output_config', 'service_tier', 'speed', 'stop_sequences', 'stream', 'system', 'thinking', 'tool_choice', 'tools',
  'temperature', 'top_p', 'top_k',
]);

const BLOCK_FIELDS: Record<string, readonly string[]> = {
  text: ['type', 'text', 'cache_control', 'citations'],
  tool_use: ['type', 'id', 'name', 'input', 'cache_control', 'caller', 'toolset_name'],
  tool_result: ['type', 'tool_use_id', 'content', 'is_error', 'cache_control', 'toolset_name'],
};

/** Block types the API takes that this server passes through unchecked (it never produces them). */
const OPAQUE_BLOCKS = new Set([
  'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'server_tool_use', 'web_search_tool_result',
  'web_fetch_tool_result', 'code_execution_tool_result', 'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result', 'tool_search_tool_result', 'container_upload',
]);

const TOOL_FIELDS = new Set([
  'name', 'description', 'input_schema', 'type', 'cache_control', 'strict', 'defer_loading', 'eager_input_streaming',
  'input_examples', 'allowed_callers',
]);

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const MAX_BREAKPOINTS = 4;

function fail(path: string, message: string): never {
  throw invalidRequest(path ? `${path}: ${message}` : message);
}

function unsupported(path: string, what: string): never {
  return fail(path, `${what} is not supported by this test server (test/support/anthropic-api)`);
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function onlyFields(object: Json, allowed: ReadonlySet<string> | readonly string[], path: string): void {
  const set = allowed instanceof Set ? allowed : new Set(allowed as readonly string[]);
  for (const key of Object.keys(object)) if (!set.has(key)) fail(path ? `${path}.${key}` : key, 'Extra inputs are not permitted');
}

function requireString(object: Json, key: string, path: string): string {
  if (!(key in object) || object[key] === undefined) fail(`${path}.${key}`, 'Field required');
  const value = object[key];
  if (typeof value !== 'string') fail(`${path}.${key}`, 'Input should be a valid string');
  return value;
}

export function validateRequest(body: unknown): MessagesRequest {
  if (!isObject(body)) fail('', 'the request body must be a JSON object');
  onlyFields(body, TOP_LEVEL_FIELDS, '');
  let breakpoints = 0;
  const cacheControl = (value: unknown, path: string) => {
    if (checkCacheControl(value, path)) breakpoints += 1;
  };

  if (body.model === undefined) fail('model', 'Field required');
  if (typeof body.model !== 'string') fail('model', 'Input should be a valid string');
  if (body.model === '') fail('model', 'String should have at least 1 character');
  if (body.max_tokens === undefined) fail('max_tokens', 'Field required');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) fail('max_tokens', 'Input should be a valid integer');
  // 0 is allowed: it pre-warms the prompt cache without generating anything (see the SDK's docs).
  if (body.max_tokens < 0) fail('max_tokens', 'Input should be greater than or equal to 0');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') fail('stream', 'Input should be a valid boolean');
  if (body.stream === true) unsupported('stream', 'streaming (stream: true)');

  if (body.system !== undefined) {
    if (typeof body.system !== 'string') {
      if (!Array.isArray(body.system)) fail('system', 'Input should be a valid string or a list of text blocks');
      body.system.forEach((block, j) => {
        const path = `system.${j}`;
        if (!isObject(block) || block.type !== 'text') fail(`${path}.type`, "Input should be 'text'");
        checkText(block, path);
        cacheControl(block.cache_control, path);
      });
    }
  }

  const toolNames = checkTools(body.tools, cacheControl);
  checkToolChoice(body.tool_choice, toolNames);
  checkMessages(body.messages, cacheControl);

  if (body.cache_control !== undefined) cacheControl(body.cache_control, '');
  if (body.metadata !== undefined) {
    if (!isObject(body.metadata)) fail('metadata', 'Input should be a valid dictionary');
    onlyFields(body.metadata, ['user_id'], 'metadata');
    if (body.metadata.user_id != null && typeof body.metadata.user_id !== 'string') fail('metadata.user_id', 'Input should be a valid string');
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s) => typeof s !== 'string')) fail('stop_sequences', 'Input should be a valid list of strings');
  }
  for (const key of ['temperature', 'top_p'] as const) {
    const value = body[key];
    if (value !== undefined && (typeof value !== 'number' || value < 0 || value > 1)) fail(key, 'Input should be a number between 0 and 1');
  }
  if (body.top_k !== undefined && (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k) || body.top_k < 0)) fail('top_k', 'Input should be a non-negative integer');
  if (body.thinking !== undefined) {
    if (!isObject(body.thinking)) fail('thinking', 'Input should be a valid dictionary');
    if (body.thinking.type !== 'disabled') unsupported('thinking.type', `extended thinking (${JSON.stringify(body.thinking.type)})`);
  }
  if (isObject(body.output_config) && body.output_config.format != null) unsupported('output_config.format', 'structured output');

  if (breakpoints > MAX_BREAKPOINTS) fail('', `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`);
  return body as unknown as MessagesRequest;
}

/** Whether `value` sets a breakpoint; null and undefined set none. */
function checkCacheControl(value: unknown, path: string): boolean {
  const where = path ? `${path}.cache_control` : 'cache_control';
  if (value === undefined || value === null) return false;
  if (!isObject(value)) fail(where, 'Input should be a valid dictionary');
  onlyFields(value, ['type', 'ttl'], where);
  if (value.type !== 'ephemeral') fail(`${where}.type`, "Input should be 'ephemeral'");
  if (value.ttl !== undefined && value.ttl !== '5m' && value.ttl !== '1h') fail(`${where}.ttl`, "Input should be '5m' or '1h'");
  return true;
}

function checkText(block: Json, path: string): void {
  onlyFields(block, BLOCK_FIELDS.text!, path);
  const text = requireString(block, 'text', path);
  if (text === '') fail(`${path}.text`, 'text content blocks must be non-empty');
  if (text.trim() === '') fail(`${path}.text`, 'text content blocks must contain non-whitespace text');
}

function checkTools(tools: unknown, cacheControl: (value: unknown, path: string) => void): Set<string> {
  const names = new Set<string>();
  if (tools === undefined) return names;
  if (!Array.isArray(tools)) fail('tools', 'Input should be a valid list');
  tools.forEach((tool, i) => {
    const path = `tools.${i}`;
    if (!isObject(tool)) fail(path, 'Input should be a valid dictionary');
    if (tool.type != null && tool.type !== 'custom') unsupported(`${path}.type`, `the server tool ${JSON.stringify(tool.type)}`);
    onlyFields(tool, TOOL_FIELDS, path);
    const name = requireString(tool, 'name', path);
    if (!TOOL_NAME.test(name)) fail(`${path}.name`, `String should match pattern '${TOOL_NAME.source}'`);
    if (tool.description !== undefined && typeof tool.description !== 'string') fail(`${path}.description`, 'Input should be a valid string');
    if (tool.input_schema === undefined) fail(`${path}.input_schema`, 'Field required');
    if (!isObject(tool.input_schema)) fail(`${path}.input_schema`, 'Input should be a valid dictionary');
    if (tool.input_schema.type !== 'object') fail(`${path}.input_schema.type`, "Input should be 'object'");
    if (names.has(name)) fail('tools', 'Tool names must be unique.');
    names.add(name);
    cacheControl(tool.cache_control, path);
  });
  return names;
}

function checkToolChoice(choice: unknown, toolNames: Set<string>): void {
  if (choice === undefined) return;
  if (!isObject(choice)) fail('tool_choice', 'Input should be a valid dictionary');
  const type = choice.type;
  if (type !== 'auto' && type !== 'any' && type !== 'tool' && type !== 'none') fail('tool_choice.type', "Input should be 'auto', 'any', 'tool' or 'none'");
  onlyFields(choice, type === 'tool' ? ['type', 'name', 'disable_parallel_tool_use'] : type === 'none' ? ['type'] : ['type', 'disable_parallel_tool_use'], 'tool_choice');
  if (choice.disable_parallel_tool_use !== undefined && typeof choice.disable_parallel_tool_use !== 'boolean') fail('tool_choice.disable_parallel_tool_use', 'Input should be a valid boolean');
  if ((type === 'any' || type === 'tool') && toolNames.size === 0) fail('tool_choice', 'tool_choice may only be specified while providing tools');
  if (type === 'tool') {
    const name = requireString(choice, 'name', 'tool_choice');
    if (!toolNames.has(name)) fail('tool_choice.name', `Tool '${name}' not found in provided tools`);
  }
}

interface Turn {
  role: 'user' | 'assistant';
  /** [message index, block index, block] for every block of the turn's messages. */
  blocks: Array<[number, number, Json]>;
}

function checkMessages(messages: unknown, cacheControl: (value: unknown, path: string) => void): void {
  if (messages === undefined) fail('messages', 'Field required');
  if (!Array.isArray(messages)) fail('messages', 'Input should be a valid list');
  if (messages.length === 0) fail('messages', 'at least one message is required');
  // Consecutive messages of one role form a single turn (the API merges them), so the tool_use ↔
  // tool_result pairing is checked between turns.
  const turns: Turn[] = [];
  messages.forEach((message, i) => {
    const path = `messages.${i}`;
    if (!isObject(message)) fail(path, 'Input should be a valid dictionary');
    onlyFields(message, ['role', 'content'], path);
    if (message.role === 'system') unsupported(`${path}.role`, "a 'system' message (use the top-level system parameter)");
    if (message.role !== 'user' && message.role !== 'assistant') fail(`${path}.role`, "Input should be 'user' or 'assistant'");
    if (i === 0 && message.role !== 'user') fail('messages', 'first message must use the "user" role');
    const isFinalAssistant = i === messages.length - 1 && message.role === 'assistant';
    const content = message.content;
    if (content === undefined) fail(`${path}.content`, 'Field required');
    let blocks: Json[];
    if (typeof content === 'string') {
      if (content !== '' && content.trim() === '') fail(`${path}.content`, 'text content blocks must contain non-whitespace text');
      blocks = content === '' ? [] : [{ type: 'text', text: content }];
    } else if (Array.isArray(content)) {
      blocks = content.map((block, j) => checkBlock(block, `${path}.content.${j}`, message.role as Turn['role'], cacheControl));
    } else {
      fail(`${path}.content`, 'Input should be a valid string or a list of content blocks');
    }
    if (blocks.length === 0 && !isFinalAssistant) fail(path, 'all messages must have non-empty content except for the optional final assistant message');
    const last = turns[turns.length - 1];
    const turn = last && last.role === message.role ? last : { role: message.role as Turn['role'], blocks: [] };
    if (turn !== last) turns.push(turn);
    blocks.forEach((block, j) => turn.blocks.push([i, j, block]));
  });

  turns.forEach((turn, t) => {
    const previous = turns[t - 1];
    if (turn.role === 'assistant') {
      const next = turns[t + 1];
      if (!next) return;
      const answered = new Set(next.blocks.filter(([, , b]) => b.type === 'tool_result').map(([, , b]) => b.tool_use_id));
      const uses = turn.blocks.filter(([, , b]) => b.type === 'tool_use');
      const missing = uses.filter(([, , b]) => !answered.has(b.id));
      if (missing.length > 0) {
        const at = missing[missing.length - 1]![0];
        fail(`messages.${at}`, `\`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.map(([, , b]) => String(b.id)).join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
      }
      return;
    }
    const asked = new Set(previous?.blocks.filter(([, , b]) => b.type === 'tool_use').map(([, , b]) => b.id) ?? []);
    for (const [i, j, block] of turn.blocks) {
      if (block.type === 'tool_result' && !asked.has(block.tool_use_id)) {
        fail(`messages.${i}.content.${j}`, `unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
      }
    }
  });

  const lastTurn = turns[turns.length - 1]!;
  const lastBlock = lastTurn.blocks[lastTurn.blocks.length - 1]?.[2];
  if (lastTurn.role === 'assistant' && lastBlock?.type === 'text' && /\s$/.test(String(lastBlock.text))) {
    fail('messages', 'final assistant content cannot end with trailing whitespace');
  }
}

function checkBlock(block: unknown, path: string, role: Turn['role'], cacheControl: (value: unknown, path: string) => void): Json {
  if (!isObject(block)) fail(path, 'Input should be a valid dictionary');
  const type = block.type;
  if (typeof type !== 'string') fail(`${path}.type`, 'Field required');
  if (type === 'text') {
    checkText(block, path);
  } else if (type === 'tool_use') {
    if (role !== 'assistant') fail(path, '`tool_use` blocks can only be in `assistant` messages');
    onlyFields(block, BLOCK_FIELDS.tool_use!, path);
    const id = requireString(block, 'id', path);
    if (!/^[a-zA-Z0-9_-]+$/.test(id)) fail(`${path}.id`, "String should match pattern '^[a-zA-Z0-9_-]+$'");
    requireString(block, 'name', path);
    if (!isObject(block.input)) fail(`${path}.input`, 'Input should be a valid dictionary');
  } else if (type === 'tool_result') {
    if (role !== 'user') fail(path, '`tool_result` blocks can only be in `user` messages');
    onlyFields(block, BLOCK_FIELDS.tool_result!, path);
    requireString(block, 'tool_use_id', path);
    if (block.is_error !== undefined && typeof block.is_error !== 'boolean') fail(`${path}.is_error`, 'Input should be a valid boolean');
    const content = block.content;
    if (content !== undefined && typeof content !== 'string') {
      if (!Array.isArray(content)) fail(`${path}.content`, 'Input should be a valid string or a list of content blocks');
      content.forEach((inner, k) => {
        const innerPath = `${path}.content.${k}`;
        if (!isObject(inner) || typeof inner.type !== 'string') fail(`${innerPath}.type`, 'Field required');
        if (inner.type === 'text') checkText(inner, innerPath);
        else if (!OPAQUE_BLOCKS.has(inner.type) && inner.type !== 'tool_reference') fail(`${innerPath}.type`, `Input tag '${inner.type}' found using 'type' does not match any of the expected tags`);
        cacheControl(inner.cache_control, innerPath);
      });
    }
  } else if (!OPAQUE_BLOCKS.has(type)) {
    fail(`${path}.type`, `Input tag '${type}' found using 'type' does not match any of the expected tags: 'text', 'tool_use', 'tool_result', ${[...OPAQUE_BLOCKS].map((t) => `'${t}'`).join(', ')}`);
  }
  cacheControl(block.cache_control, path);
  return block;
}
