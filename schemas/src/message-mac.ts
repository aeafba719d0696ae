// How an agent proves, over NATS, that a message comes from the holder of its run's token, without
// sending the token: it signs the message with HMAC-SHA256 keyed with sha256hex(token). The controller
// keeps only that hash (runs.token_hash), which is exactly the key it needs to check the signature.
//
//   envelope = { "message": <AgentMessage>, "mac": hex(HMAC-SHA256(key = ascii(sha256hex(token)),
//                                                                   data = utf8(canonicalJson(message)))) }
//
// canonicalJson is JSON with object keys sorted (by UTF-16 code units, as RFC 8785) and no whitespace,
// so the signature survives any re-serialization of the message on the way.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { AgentMessage } from './messages.js';

export const SignedAgentMessage = Type.Object(
  {
    message: AgentMessage,
    mac: Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'Lowercase hex HMAC-SHA256 of the canonical JSON of `message`, keyed with the lowercase hex sha256 of the run token.',
    }),
  },
  {
    additionalProperties: false,
    $id: 'https://autoresearch.dev/schemas/signed-agent-message.json',
    title: 'An agent message as it travels over NATS, signed with the run token',
  },
);
export type SignedAgentMessage = Static<typeof SignedAgentMessage>;

/** The form of the run token the controller stores, and the MAC key. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with sorted keys and no whitespace; `undefined` members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`cannot sign a ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

function macWithKey(message: AgentMessage, tokenHash: string): string {
  return createHmac('sha256', tokenHash).update(canonicalJson(message)).digest('hex');
}

/** What an agent publishes. */
export function signAgentMessage(message: AgentMessage, token: string): SignedAgentMessage {
  return { message, mac: macWithKey(message, sha256Hex(token)) };
}

/** Signs with the token's hash directly, for an agent that keeps only the hash in memory. */
export function signAgentMessageWithHash(message: AgentMessage, tokenHash: string): SignedAgentMessage {
  return { message, mac: macWithKey(message, tokenHash) };
}

/** True when `envelope.mac` was made with the token whose sha256 hex is `tokenHash`. Constant-time. */
export function verifyAgentMessage(envelope: { message: AgentMessage; mac: string }, tokenHash: string): boolean {
  if (typeof envelope.mac !== 'string' || !/^[0-9a-f]{64}$/.test(envelope.mac)) return false;
  const expected = Buffer.from(macWithKey(envelope.message, tokenHash), 'hex');
  return timingSafeEqual(expected, Buffer.from(envelope.mac, 'hex'));
}
