// The test Anthropic Messages API server, driven only through @anthropic-ai/sdk, the way the llm mutator
// drives the real API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam, Message, MessageCreateParamsNonStreaming, MessageParam, TextBlockParam, Tool, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { changeOneConstantPolicy, proposeEdit, startAnthropicApiServer, type AnthropicApiServer, type ProposalInput } from '../support/anthropic-api/index.js';

const MODEL = 'claude-sonnet-5-5';

const TRAIN_JS = [
  "import { train } from './lib.js';",
  '',
  'const LEARNING_RATE = 0.01;',
  'const BATCH_SIZE = 32;',
  'const WARMUP_STEPS = 100; // linear warmup',
  '',
  'function schedule(step) {',
  '  const scale = 0.5;',
  '  return step < WARMUP_STEPS ? (LEARNING_RATE * step) / WARMUP_STEPS : LEARNING_RATE * scale;',
  '}',
  '',
  'train({ batchSize: BATCH_SIZE, schedule });',
].join('\n');

const PROPOSE_TOOL: Tool = {
  name: 'propose_change',
  description: 'Propose one change to the mutable files as exact search/replace edits.',
  input_schema: {
    type: 'object',
    properties: {
      hypothesis: { type: 'string' },
      variable: { type: 'string' },
      description: { type: 'string' },
      edits: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, search: { type: 'string' }, replace: { type: 'string' } } } },
    },
    required: ['hypothesis', 'variable', 'description', 'edits'],
  },
};

/** Long enough (well over 1024 tokens at ~4 characters a token) for the cache's minimum. */
function longSystem(tag: string): TextBlockParam[] {
  const rules = Array.from({ length: 60 }, (_, i) => `${i + 1}. Rule ${tag}-${i}: propose exactly one small, attributable change to the training script.`).join('\n');
  return [{ type: 'text', text: `You are an autonomous research engineer.\n${rules}`, cache_control: { type: 'ephemeral' } }];
}

function userPrompt(extra = ''): string {
  return `## The current head (loss = 2.31)\n\n### train.js\n\`\`\`js\n${TRAIN_JS}\n\`\`\`\n\n${extra}Propose the next experiment with the propose_change tool.`;
}

function params(overrides: Partial<MessageCreateParamsNonStreaming> = {}): MessageCreateParamsNonStreaming {
  return {
    model: MODEL,
    max_tokens: 1024,
    system: longSystem('base'),
    tools: [PROPOSE_TOOL],
    messages: [{ role: 'user', content: userPrompt() }],
    ...overrides,
  };
}

function toolCall(message: Message): ToolUseBlock & { input: ProposalInput } {
  const call = message.content.find((block): block is ToolUseBlock => block.type === 'tool_use');
  assert.ok(call, `expected a tool_use block in ${JSON.stringify(message.content)}`);
  return call as ToolUseBlock & { input: ProposalInput };
}

async function rejectsWith<T extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T, check: (error: T) => void = () => {}): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${(error as Error)?.constructor?.name}: ${String(error)}`);
    check(error);
    return true;
  });
}

describe('anthropic-api test server through @anthropic-ai/sdk', () => {
  let server: AnthropicApiServer;
  let client: Anthropic;

  before(async () => {
    server = await startAnthropicApiServer();
    client = new Anthropic({ apiKey: server.apiKey, baseURL: server.url, maxRetries: 0 });
  });

  after(async () => {
    await server.close();
  });

  it('answers a tool-use round trip with a plausible one-line edit of a shown file', async () => {
    const message = await client.messages.create(params());
    assert.match(message.id, /^msg_01\w{22}$/);
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, MODEL);
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.stop_sequence, null);
    assert.equal(message.content[0]?.type, 'text', 'tool_choice auto: the model says something before the call');
    const call = toolCall(message);
    assert.match(call.id, /^toolu_01\w{22}$/);
    assert.equal(call.name, PROPOSE_TOOL.name);
    const [edit] = call.input.edits;
    assert.equal(call.input.edits.length, 1);
    assert.equal(edit?.path, 'train.js');
    assert.ok(TRAIN_JS.split('\n').includes(edit!.search), `search is a whole line of the file: ${edit!.search}`);
    assert.notEqual(edit!.replace, edit!.search);
    assert.ok(['LEARNING_RATE', 'BATCH_SIZE', 'WARMUP_STEPS'].includes(call.input.variable));
    assert.ok(call.input.hypothesis.length > 0 && call.input.description.length > 0);
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
    const recorded = server.requests.at(-1)!;
    assert.match(message._request_id ?? '', /^req_011C\w{20}$/);
    assert.equal(message._request_id, recorded.requestId);
    assert.equal(recorded.status, 200);
    // @anthropic-ai/sdk 1.x sends its apiKey as a bearer token, not as x-api-key.
    assert.equal(recorded.headers.authorization, `Bearer ${server.apiKey}`);
    assert.ok(recorded.headers['anthropic-version']);
    assert.deepEqual(recorded.body.tools, [PROPOSE_TOOL]);
  });

  it('successive calls propose different changes; a forced tool call comes without text', async () => {
    const forced = { tool_choice: { type: 'tool', name: PROPOSE_TOOL.name } } as const;
    const first = await client.messages.create(params(forced));
    const second = await client.messages.create(params(forced));
    assert.deepEqual(first.content.map((b) => b.type), ['tool_use']);
    assert.notDeepEqual(toolCall(first).input.edits, toolCall(second).input.edits);
  });

  it('bills the cached system prefix: creation on the first call, a read on the next', async () => {
    const system = longSystem('cache');
    const first = await client.messages.create(params({ system }));
    const second = await client.messages.create(params({ system, messages: [{ role: 'user', content: userPrompt('Another prompt after it. ') }] }));
    assert.ok((first.usage.cache_creation_input_tokens ?? 0) > 0, JSON.stringify(first.usage));
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(first.usage.cache_creation?.ephemeral_5m_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.ok(second.usage.input_tokens > 0, 'the uncached user prompt is billed as input');

    // Below the minimum cacheable length nothing is cached, however it is marked (as on the real API).
    const short: TextBlockParam[] = [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }];
    const tiny = await client.messages.create(params({ system: short, tools: [] }));
    assert.equal(tiny.usage.cache_creation_input_tokens, 0);
    assert.equal(tiny.usage.cache_read_input_tokens, 0);
  });

  it('expires cache entries after 5 minutes without a read', async () => {
    let now = 1_000_000;
    const clocked = await startAnthropicApiServer({ now: () => now });
    try {
      const c = new Anthropic({ apiKey: clocked.apiKey, baseURL: clocked.url, maxRetries: 0 });
      const created = (await c.messages.create(params())).usage.cache_creation_input_tokens;
      now += 4 * 60_000;
      assert.equal((await c.messages.create(params())).usage.cache_read_input_tokens, created, 'read within 5 minutes');
      now += 4 * 60_000;
      assert.equal((await c.messages.create(params())).usage.cache_read_input_tokens, created, 'the read refreshed the entry');
      now += 6 * 60_000;
      const expired = (await c.messages.create(params())).usage;
      assert.equal(expired.cache_read_input_tokens, 0);
      assert.equal(expired.cache_creation_input_tokens, created);
    } finally {
      await clocked.close();
    }
  });

  it('changes a Python constant in the style it is written in', async () => {
    const train = ['import torch', '', 'LEARNING_RATE = 3e-4  # adam', 'DROPOUT = 1.0', '', 'def step():', '    scale = 2', ''].join('\n');
    const content = `### model/train.py\n\`\`\`python\n${train}\`\`\`\nPropose one change.`;
    const seen = new Set<string>();
    for (let i = 0; i < 4; i += 1) {
      const [edit] = toolCall(await client.messages.create(params({ messages: [{ role: 'user', content }] }))).input.edits;
      assert.equal(edit?.path, 'model/train.py');
      assert.ok(['LEARNING_RATE = 3e-4  # adam', 'DROPOUT = 1.0'].includes(edit!.search), edit!.search);
      assert.match(edit!.replace, /^(LEARNING_RATE = (6e-4|1\.5e-4)  # adam|DROPOUT = (2\.0|0\.5))$/);
      seen.add(edit!.replace);
    }
    assert.equal(seen.size, 4, 'four calls, four different changes');
  });

  it('proposes a different constant when the last proposal comes back as an error', async () => {
    const first = await client.messages.create(params());
    const rejected = toolCall(first);
    const messages: MessageParam[] = [
      { role: 'user', content: userPrompt() },
      { role: 'assistant', content: first.content as ContentBlockParam[] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: rejected.id, is_error: true, content: 'Invalid proposal: the search text occurs twice' },
          { type: 'text', text: 'Fix it, or propose a different single change.' },
        ],
      },
    ];
    const second = await client.messages.create(params({ messages }));
    const retry = toolCall(second);
    assert.notEqual(retry.input.variable, rejected.input.variable);
    assert.notEqual(retry.input.edits[0]?.search, rejected.input.edits[0]?.search);
    assert.ok(TRAIN_JS.split('\n').includes(retry.input.edits[0]!.search));
  });

  it('answers with a composed policy, and cuts the answer off at max_tokens', async () => {
    server.setPolicy(() => proposeEdit('train.js', 'const BATCH_SIZE = 32;', 'const BATCH_SIZE = 64;', { variable: 'BATCH_SIZE' }));
    try {
      const call = toolCall(await client.messages.create(params()));
      assert.deepEqual(call.input.edits, [{ path: 'train.js', search: 'const BATCH_SIZE = 32;', replace: 'const BATCH_SIZE = 64;' }]);
      assert.equal(call.input.variable, 'BATCH_SIZE');
      const cut = await client.messages.create(params({ max_tokens: 12, tool_choice: { type: 'any' } }));
      assert.equal(cut.stop_reason, 'max_tokens');
      assert.equal(cut.usage.output_tokens, 12);
      assert.equal(toolCall(cut).input.edits, undefined, 'an incomplete tool call lacks its later fields');
    } finally {
      server.setPolicy(changeOneConstantPolicy);
    }
  });

  it('429 with retry-after surfaces as RateLimitError', async () => {
    server.inject.next(1, { status: 429, retryAfterSeconds: 7 });
    await rejectsWith(client.messages.create(params()), Anthropic.RateLimitError, (error) => {
      assert.equal(error.status, 429);
      assert.equal(error.headers.get('retry-after'), '7');
      assert.equal(error.type, 'rate_limit_error');
      assert.match(error.requestID ?? '', /^req_/);
    });
    assert.equal(server.requests.at(-1)?.status, 429);
  });

  it('529 and 500 surface as InternalServerError (529 as its OverloadedError subclass), also while down', async () => {
    server.inject.next(1, { status: 529 });
    await rejectsWith(client.messages.create(params()), Anthropic.InternalServerError, (error) => {
      assert.equal(error.status, 529);
      assert.equal(error.type, 'overloaded_error');
      assert.equal(error.constructor.name, 'OverloadedError');
    });
    server.inject.next(1, { status: 500 });
    await rejectsWith(client.messages.create(params()), Anthropic.InternalServerError, (error) => {
      assert.equal(error.status, 500);
      assert.equal(error.type, 'api_error');
    });
    server.down();
    await rejectsWith(client.messages.create(params()), Anthropic.APIError, (error) => assert.equal(error.status, 529));
    await rejectsWith(client.messages.create(params()), Anthropic.APIError, (error) => assert.equal(error.status, 529));
    server.up();
    assert.equal((await client.messages.create(params())).stop_reason, 'tool_use');
  });

  it('a reset connection surfaces as APIConnectionError', async () => {
    server.inject.next(1, { status: 'reset' });
    await rejectsWith(client.messages.create(params()), Anthropic.APIConnectionError);
    assert.equal(server.requests.at(-1)?.status, 'reset');
  });

  it('refuses malformed requests with BadRequestError naming the field', async () => {
    const { max_tokens: _omitted, ...noMaxTokens } = params();
    await rejectsWith(client.messages.create(noMaxTokens as MessageCreateParamsNonStreaming), Anthropic.BadRequestError, (error) => {
      assert.equal(error.type, 'invalid_request_error');
      // error.message is `400 ` + the whole JSON body; apiMessage is the API's own message.
      assert.equal(error.apiMessage, 'max_tokens: Field required');
    });
    const orphan: MessageParam[] = [
      { role: 'user', content: userPrompt() },
      { role: 'assistant', content: 'Let me look at the history first.' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01unknown', content: 'nope' }] },
    ];
    await rejectsWith(client.messages.create(params({ messages: orphan })), Anthropic.BadRequestError, (error) =>
      assert.match(error.apiMessage ?? '', /^messages\.2\.content\.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01unknown\./),
    );
    await rejectsWith(client.messages.create(params({ messages: [orphan[0]!, { role: 'assistant', content: '' }, orphan[0]!] })), Anthropic.BadRequestError, (error) =>
      assert.match(error.apiMessage ?? '', /^messages\.1: all messages must have non-empty content/),
    );
    await rejectsWith(client.messages.create({ ...params(), stream: true }), Anthropic.BadRequestError, (error) => assert.match(error.apiMessage ?? '', /^stream: .*not supported by this test server/));
    await rejectsWith(client.messages.create({ ...params(), maxTokens: 5 } as MessageCreateParamsNonStreaming), Anthropic.BadRequestError, (error) =>
      assert.match(error.apiMessage ?? '', /^maxTokens: Extra inputs are not permitted/),
    );
    assert.equal(server.requests.at(-1)?.status, 400);
  });

  it('refuses a tool call left without its tool_result', async () => {
    const first = await client.messages.create(params());
    const messages: MessageParam[] = [
      { role: 'user', content: userPrompt() },
      { role: 'assistant', content: first.content as ContentBlockParam[] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01NotAnIdWeGaveOut', is_error: true, content: 'bad' }] },
    ];
    await rejectsWith(client.messages.create(params({ messages })), Anthropic.BadRequestError, (error) =>
      assert.match(error.apiMessage ?? '', /^messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01\w+\./),
    );
  });

  it('a wrong key surfaces as AuthenticationError', async () => {
    const wrong = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: server.url, maxRetries: 0 });
    await rejectsWith(wrong.messages.create(params()), Anthropic.AuthenticationError, (error) => {
      assert.equal(error.status, 401);
      assert.equal(error.type, 'authentication_error');
    });
  });

  it('other paths are 404 not_found_error', async () => {
    await rejectsWith(client.models.list(), Anthropic.NotFoundError, (error) => assert.equal(error.type, 'not_found_error'));
  });

  it("the SDK's own retries get through two 429s", async () => {
    const retrying = new Anthropic({ apiKey: server.apiKey, baseURL: server.url, maxRetries: 2 });
    server.inject.next(2, { status: 429, retryAfterSeconds: 0 });
    const before = server.requests.length;
    const message = await retrying.messages.create(params());
    assert.equal(message.stop_reason, 'tool_use');
    const attempts = server.requests.slice(before);
    assert.deepEqual(attempts.map((r) => r.status), [429, 429, 200]);
    assert.deepEqual(attempts.map((r) => r.headers['x-stainless-retry-count']), ['0', '1', '2']);
  });

  it('honours latency, faults included', async () => {
    server.setLatency(250);
    try {
      let started = Date.now();
      await client.messages.create(params());
      assert.ok(Date.now() - started >= 250, `answered after ${Date.now() - started} ms`);
      server.inject.next(1, { status: 529 });
      started = Date.now();
      await rejectsWith(client.messages.create(params()), Anthropic.InternalServerError);
      assert.ok(Date.now() - started >= 250);
    } finally {
      server.setLatency(0);
    }
  });
});
