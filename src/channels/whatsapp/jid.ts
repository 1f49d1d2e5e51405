import type { WhatsAppAccount } from '../../config/index.js';
import type { ChannelPolicy } from '../contract.js';

/**
 * WhatsApp addresses (JIDs) and the ids Carapace uses for them. A person with a known phone number is
 * their digits (`15551234567`, from `15551234567:3@s.whatsapp.net`), a person known only by a linked id
 * keeps the full `…@lid` form, a group is the part before `@g.us`. Phone numbers have at most 15 digits
 * (E.164), so a bare id with a `-` or more digits is a group.
 */

const USER_SERVER = 's.whatsapp.net';
const GROUP_SERVER = 'g.us';
const LID_SERVER = 'lid';
const MAX_PHONE_DIGITS = 15;

/** The parts of a JID: `user[_agent][:device]@server`. */
export interface JidParts {
  user: string;
  server: string;
  device?: number;
}

/** Split a JID; undefined for anything without `@`. */
export function splitJid(jid: string | null | undefined): JidParts | undefined {
  if (!jid) return undefined;
  const at = jid.indexOf('@');
  if (at < 0) return undefined;
  const server = jid.slice(at + 1);
  const [userAgent = '', device] = jid.slice(0, at).split(':');
  const user = server === LID_SERVER ? userAgent : (userAgent.split('_')[0] ?? '');
  const parts: JidParts = { user, server: server === 'c.us' ? USER_SERVER : server };
  if (device !== undefined && /^\d+$/.test(device)) parts.device = Number(device);
  return parts;
}

/** What kind of conversation a JID is: a person, a group, or something the agent never answers. */
export function jidKind(jid: string | null | undefined): 'user' | 'group' | 'other' {
  const parts = splitJid(jid);
  if (!parts?.user) return 'other';
  if (parts.server === USER_SERVER || parts.server === LID_SERVER) return 'user';
  if (parts.server === GROUP_SERVER) return 'group';
  return 'other';
}

/** True for a person's phone-number JID (`…@s.whatsapp.net`). */
export function isPhoneJid(jid: string | null | undefined): boolean {
  return splitJid(jid)?.server === USER_SERVER;
}

/** The Carapace id of a JID (see the file comment); the device suffix is dropped. */
export function idOfJid(jid: string): string {
  const parts = splitJid(jid);
  if (!parts) return jid;
  if (parts.server === USER_SERVER || parts.server === GROUP_SERVER) return parts.user;
  return `${parts.user}@${parts.server}`;
}

/** The JID to send to for a Carapace id, a phone number (`+1 555 123`) or a full JID. */
export function jidOfId(id: string): string {
  const trimmed = id.trim();
  if (trimmed.includes('@')) return trimmed;
  const bare = trimmed.replace(/^\+/, '').replace(/[\s()]/g, '');
  if (bare.includes('-') && !/^\+/.test(trimmed)) return `${bare}@${GROUP_SERVER}`;
  const digits = bare.replace(/-/g, '');
  return digits.length > MAX_PHONE_DIGITS ? `${digits}@${GROUP_SERVER}` : `${digits}@${USER_SERVER}`;
}

/**
 * A sender id from config (`allowFrom`): `+15551234567`, `15551234567`, `15551234567@s.whatsapp.net` and
 * `+1 555-123-4567` all become `15551234567`; `…@lid` and `'*'` stay as they are.
 */
export function normalizeSenderId(entry: string): string {
  const trimmed = entry.trim();
  if (trimmed === '*') return trimmed;
  if (trimmed.includes('@')) return idOfJid(trimmed);
  return trimmed.replace(/^\+/, '').replace(/[\s()-]/g, '');
}

/** A group key from config: `120363…@g.us` becomes `120363…`; `'*'` and bare ids stay. */
export function normalizeGroupId(entry: string): string {
  const trimmed = entry.trim();
  return trimmed.includes('@') ? idOfJid(trimmed) : trimmed;
}

/** An account's DM and group policy with every phone number and group JID in the ids messages carry. */
export function whatsappPolicy(a: WhatsAppAccount): ChannelPolicy {
  const groups: Record<string, ChannelPolicy['groups'][string]> = {};
  for (const [id, g] of Object.entries(a.groups)) {
    groups[normalizeGroupId(id)] = g.allowFrom ? { ...g, allowFrom: g.allowFrom.map(normalizeSenderId) } : g;
  }
  return {
    dmPolicy: a.dmPolicy,
    allowFrom: a.allowFrom.map(normalizeSenderId),
    groups,
    mentionPatterns: a.mentionPatterns,
    historyLimit: a.historyLimit,
    ackReaction: a.ackReaction,
  };
}
