// Identifiers shaped like the real ones (`msg_01…`, `toolu_01…`, `req_011C…`), random so that a client
// which confuses two calls' ids is caught.
import { randomBytes } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

export const messageId = (): string => `msg_01${base58(22)}`;
export const toolUseId = (): string => `toolu_01${base58(22)}`;
export const requestId = (): string => `req_011C${base58(20)}`;
