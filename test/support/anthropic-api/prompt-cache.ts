// Prompt caching as the API bills it. The prompt is read in order (tools, then system, then messages) as
// a list of blocks; each block carrying `cache_control` is a breakpoint, and the prefix ending there is
// written to the cache (keyed by a hash of the model and the exact content before it). A later request
// reads the longest cached prefix that ends at a breakpoint or at one of the 20 block boundaries before
// one, and pays creation for what it writes past that. Entries live 5 minutes (or 1 hour with
// `ttl: '1h'`) and every read refreshes them; prefixes shorter than the model's minimum are never cached.
import { createHash } from 'node:crypto';
import type { CacheCreation, Usage } from '@anthropic-ai/sdk/resources/messages';
import type { MessagesRequest } from './validate.js';

/** How many block boundaries before a breakpoint are checked for an earlier cached prefix. */
const LOOKBACK_BLOCKS = 20;
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
type Ttl = keyof typeof TTL_MS;

export type InputUsage = Pick<Usage, 'input_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'> & {
  cache_creation: CacheCreation;
};

interface Segment {
  key: string;
  tokens: number;
  breakpoint: Ttl | undefined;
}

/** ~4 characters a token, the rule of thumb for English text and code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export class PromptCache {
  private readonly entries = new Map<string, { expiresAt: number; ttl: Ttl }>();

  constructor(private readonly options: { now: () => number; minCacheableTokens: number }) {}

  /** Bills the request's input and writes what it caches; call it only for requests that are answered. */
  account(request: MessagesRequest): InputUsage {
    const segments = segmentsOf(request);
    const now = this.options.now();
    const hashes: string[] = [];
    const through: number[] = [];
    let hash = createHash('sha256').update(`model\0${request.model}`).digest('hex');
    let tokens = 0;
    for (const segment of segments) {
      hash = createHash('sha256').update(`${hash}\0${segment.key}`).digest('hex');
      tokens += segment.tokens;
      hashes.push(hash);
      through.push(tokens);
    }
    const breakpoints = segments.flatMap((segment, i) => (segment.breakpoint ? [i] : []));

    let hit = -1;
    for (const b of breakpoints) {
      for (let k = b; k >= Math.max(0, b - LOOKBACK_BLOCKS + 1) && k > hit; k -= 1) {
        const entry = this.entries.get(hashes[k]!);
        if (entry && entry.expiresAt > now) {
          hit = k;
          break;
        }
      }
    }
    const read = hit >= 0 ? through[hit]! : 0;
    if (hit >= 0) {
      const entry = this.entries.get(hashes[hit]!)!;
      entry.expiresAt = now + TTL_MS[entry.ttl];
    }

    const creation: CacheCreation = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
    let cachedThrough = read;
    for (const b of breakpoints) {
      if (b <= hit || through[b]! < this.options.minCacheableTokens) continue;
      const ttl = segments[b]!.breakpoint!;
      creation[ttl === '1h' ? 'ephemeral_1h_input_tokens' : 'ephemeral_5m_input_tokens'] += through[b]! - cachedThrough;
      cachedThrough = through[b]!;
      this.entries.set(hashes[b]!, { expiresAt: now + TTL_MS[ttl], ttl });
    }
    const written = creation.ephemeral_5m_input_tokens + creation.ephemeral_1h_input_tokens;
    return {
      input_tokens: tokens - read - written,
      cache_creation_input_tokens: written,
      cache_read_input_tokens: read,
      cache_creation: creation,
    };
  }
}

type Json = Record<string, unknown>;

/** The prompt as the cache sees it: one segment per tool and per block, in the order the model reads them. */
function segmentsOf(request: MessagesRequest): Segment[] {
  const segments: Segment[] = [];
  for (const tool of request.tools ?? []) {
    const { cache_control, ...rest } = tool as unknown as Json;
    segments.push({ key: `tool\0${canonical(rest)}`, tokens: estimateTokens(JSON.stringify(rest)), breakpoint: ttlOf(cache_control) });
  }
  const system = typeof request.system === 'string' ? (request.system ? [{ type: 'text', text: request.system }] : []) : (request.system ?? []);
  for (const block of system as Json[]) segments.push(blockSegment('system', block));
  // tool_choice and thinking sit between system and messages: changing them invalidates the cached messages only.
  segments.push({ key: `settings\0${canonical({ tool_choice: request.tool_choice, thinking: request.thinking })}`, tokens: 0, breakpoint: undefined });
  for (const message of request.messages) {
    const blocks = typeof message.content === 'string' ? (message.content ? [{ type: 'text', text: message.content }] : []) : message.content;
    for (const block of blocks as Json[]) segments.push(blockSegment(message.role, block));
  }
  // Top-level cache_control puts the breakpoint on the last cacheable block.
  const automatic = ttlOf((request as unknown as Json).cache_control);
  const last = segments[segments.length - 1];
  if (automatic && last && !last.breakpoint) last.breakpoint = automatic;
  return segments;
}

function blockSegment(role: string, block: Json): Segment {
  let breakpoint = ttlOf(block.cache_control);
  let text: string;
  if (block.type === 'text') text = String(block.text);
  else if (block.type === 'tool_use') text = `${String(block.name)} ${JSON.stringify(block.input)}`;
  else if (block.type === 'tool_result') {
    const content = block.content;
    if (Array.isArray(content)) {
      text = (content as Json[]).map((inner) => (inner.type === 'text' ? String(inner.text) : JSON.stringify(inner))).join('\n');
      breakpoint ??= (content as Json[]).map((inner) => ttlOf(inner.cache_control)).find(Boolean);
    } else text = typeof content === 'string' ? content : '';
  } else text = JSON.stringify(block);
  return { key: `${role}\0${canonical(block)}`, tokens: estimateTokens(text), breakpoint };
}

function ttlOf(cacheControl: unknown): Ttl | undefined {
  if (typeof cacheControl !== 'object' || cacheControl === null) return undefined;
  return (cacheControl as { ttl?: Ttl }).ttl ?? '5m';
}

/** JSON with sorted keys, without cache_control (moving a breakpoint does not change the prompt) or nulls. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([key, v]) => key !== 'cache_control' && v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
