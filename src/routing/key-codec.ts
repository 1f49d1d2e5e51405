import { CarapaceError } from '../shared/index.js';

/**
 * Encoding of the free-form parts of a session key (peer, group, account, thread and job ids).
 * Characters outside a small safe set are percent-encoded as UTF-8 (`:` → `%3A`), and a part that
 * would read as one of the key's literal words (`dm`, `thread` …) gets its first character encoded,
 * so every key splits on `:` unambiguously and format ∘ parse is the identity.
 */

/** The literal words of the key grammar. A free-form part never appears as one of these verbatim. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'agent',
  'main',
  'dm',
  'group',
  'channel',
  'thread',
  'subagent',
  'cron',
  'hook',
]);

const SAFE_CHAR = /^[A-Za-z0-9._~@+=!$-]$/;
const ENCODED_PART = /^(?:[A-Za-z0-9._~@+=!$-]|%[0-9A-Fa-f]{2})+$/;
const utf8 = new TextEncoder();

/** The accepted key shapes, for error messages and `carapace route`. */
export const ACCEPTED_SHAPES: readonly string[] = [
  'main',
  'agent:<agentId>:main',
  'agent:<agentId>:dm:<peerId>',
  'agent:<agentId>:<channel>:dm:<peerId>',
  'agent:<agentId>:<channel>:<accountId>:dm:<peerId>',
  'agent:<agentId>:<channel>:group:<groupId>',
  'agent:<agentId>:<channel>:channel:<channelId>',
  '… any dm/group/channel key + :thread:<threadId>',
  'agent:<agentId>:subagent:<uuid>',
  'cron:<jobId>',
  'hook:<uuid>',
];

/** A CarapaceError('INVALID_SESSION_KEY') naming the key, what is wrong, and the accepted shapes. */
export function invalidKey(key: string, reason: string): CarapaceError {
  const shown = key.length > 120 ? `${key.slice(0, 117)}...` : key;
  return new CarapaceError(
    'INVALID_SESSION_KEY',
    `invalid session key ${JSON.stringify(shown)}: ${reason}. Accepted shapes: ${ACCEPTED_SHAPES.join(' | ')}`,
    { details: { key: shown, reason, accepted: [...ACCEPTED_SHAPES] } },
  );
}

function hex(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Encode one free-form part. Throws INVALID_SESSION_KEY for an empty or ill-formed (lone surrogate) id. */
export function encodePart(value: string, what: string): string {
  if (value.length === 0) throw invalidKey('', `${what} is empty`);
  try {
    encodeURIComponent(value);
  } catch {
    throw invalidKey(value, `${what} is not well-formed Unicode`);
  }
  let out = '';
  for (const ch of value) {
    if (SAFE_CHAR.test(ch)) out += ch;
    else for (const byte of utf8.encode(ch)) out += hex(byte);
  }
  if (RESERVED_WORDS.has(out.toLowerCase())) out = hex(out.charCodeAt(0)) + out.slice(1);
  return out;
}

/** Decode one part of `key`; throws INVALID_SESSION_KEY naming `what` when it is malformed. */
export function decodePart(segment: string, what: string, key: string): string {
  if (segment.length === 0) throw invalidKey(key, `${what} is empty`);
  if (!ENCODED_PART.test(segment)) {
    throw invalidKey(key, `${what} ${JSON.stringify(segment)} has characters that must be percent-encoded`);
  }
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidKey(key, `${what} ${JSON.stringify(segment)} is not valid percent-encoded UTF-8`);
  }
}

/** True when a raw (still encoded) segment is the literal word `word`, in any letter case. */
export function isWord(segment: string | undefined, word: string): boolean {
  return segment !== undefined && segment.toLowerCase() === word;
}

/** True when a raw segment is any literal word of the grammar. */
export function isReserved(segment: string | undefined): boolean {
  return segment !== undefined && RESERVED_WORDS.has(segment.toLowerCase());
}
