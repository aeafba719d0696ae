// Reading a request the way a policy needs to: its text, the files it shows, and which earlier tool calls
// the client sent back as errors.
import type { ContentBlockParam, ToolUseBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { MessagesRequest } from './validate.js';

export interface ShownFile {
  path: string;
  content: string;
}

/** The system prompt and every user message's text (tool results included), in order. */
export function requestText(request: MessagesRequest): string {
  const parts: string[] = [];
  if (typeof request.system === 'string') parts.push(request.system);
  else for (const block of request.system ?? []) parts.push(block.text);
  for (const message of request.messages) {
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') parts.push(message.content);
    else for (const block of message.content) parts.push(...blockText(block));
  }
  return parts.join('\n\n');
}

/** The system prompt's text, its blocks joined by blank lines. */
export function systemText(request: MessagesRequest): string {
  if (typeof request.system === 'string') return request.system;
  return (request.system ?? []).map((block) => block.text).join('\n\n');
}

/** The text of the last user message (tool results included); '' when there is none. */
export function lastUserText(request: MessagesRequest): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  if (!last) return '';
  return typeof last.content === 'string' ? last.content : last.content.flatMap(blockText).join('\n\n');
}

function blockText(block: ContentBlockParam): string[] {
  if (block.type === 'text') return [block.text];
  if (block.type !== 'tool_result') return [];
  if (typeof block.content === 'string') return [block.content];
  return (block.content ?? []).flatMap((inner) => (inner.type === 'text' ? [inner.text] : []));
}

/**
 * The files shown as a `### <path>` heading line followed by a fenced block (``` or longer, or ~~~).
 * A path shown twice counts once, with its last content, at the place it was first shown.
 */
export function shownFiles(text: string): ShownFile[] {
  const files = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const heading = /^#{2,4}\s+`?([^\s`]+)`?\s*$/.exec(lines[i]!);
    if (!heading) continue;
    let open = i + 1;
    while (open < lines.length && lines[open]!.trim() === '') open += 1;
    const fence = /^(`{3,}|~{3,})[\w.+-]*\s*$/.exec(lines[open] ?? '');
    if (!fence) continue;
    const marker = fence[1]!;
    const closing = new RegExp(`^${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    let close = open + 1;
    while (close < lines.length && !closing.test(lines[close]!)) close += 1;
    if (close >= lines.length) continue;
    files.set(heading[1]!, lines.slice(open + 1, close).join('\n'));
    i = close;
  }
  return [...files].map(([path, content]) => ({ path, content }));
}

/** The tool calls of the conversation that the client answered with `is_error: true`. */
export function rejectedToolUses(request: MessagesRequest): ToolUseBlockParam[] {
  const uses = new Map<string, ToolUseBlockParam>();
  const rejected: ToolUseBlockParam[] = [];
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type === 'tool_use') uses.set(block.id, block);
      if (block.type === 'tool_result' && block.is_error) {
        const use = uses.get(block.tool_use_id);
        if (use) rejected.push(use);
      }
    }
  }
  return rejected;
}

/** Whether the last user message answers a tool call with `is_error: true` (the client re-asking). */
export function lastAnswerRejected(request: MessagesRequest): boolean {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  if (!last || typeof last.content === 'string') return false;
  return last.content.some((block) => block.type === 'tool_result' && block.is_error === true);
}
