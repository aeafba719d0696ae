// Turns a NATS payload into a signed agent message, or says why it is not one. Nothing here throws:
// whatever an agent (or anyone who can publish) sends, the controller logs it and goes on.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SignedAgentMessage } from '../../../../../schemas/src/message-mac.js';

const checkEnvelope = TypeCompiler.Compile(SignedAgentMessage);
const decoder = new TextDecoder('utf-8', { fatal: true });

export type ParsedEnvelope = { ok: true; envelope: SignedAgentMessage } | { ok: false; reason: string };

/** `expected` is what the subject says the message must be: its run, and its type. */
export function parseEnvelope(data: Uint8Array, expected: { runId: string; type?: string }): ParsedEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (!checkEnvelope.Check(raw)) {
    const first = checkEnvelope.Errors(raw).First();
    return { ok: false, reason: `not a signed agent message: ${first ? `${first.path || '(root)'}: ${first.message}` : 'invalid'}` };
  }
  const { message } = raw;
  if (message.runId !== expected.runId) {
    return { ok: false, reason: `a message of run ${message.runId} on the subject of run ${expected.runId}` };
  }
  if (expected.type !== undefined && message.type !== expected.type) {
    return { ok: false, reason: `a ${message.type} message on a ${expected.type} subject` };
  }
  return { ok: true, envelope: raw };
}
