import type { MessageFields, SessionEntry } from './schema.js';
import type { SessionPatch } from './store-types.js';

/** A new session's index entry: no messages, no tokens, plus the defined fields of `extra`. */
export function newSessionEntry(
  ids: { sessionKey: string; sessionId: string; agentId: string },
  now: number,
  extra: Partial<SessionEntry>,
): SessionEntry {
  const entry: SessionEntry = {
    sessionKey: ids.sessionKey,
    sessionId: ids.sessionId,
    agentId: ids.agentId,
    createdAt: now,
    updatedAt: now,
    tokens: { input: 0, output: 0, total: 0 },
    messageCount: 0,
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (entry as Record<string, unknown>)[key] = value;
  }
  return entry;
}

/** The fields a reset carries from the old entry to the new session's. */
export function carriedOnReset(old: SessionEntry): Partial<SessionEntry> {
  const { label, origin, lastChannel, lastAccountId, lastTo, model } = old;
  return { label, origin, lastChannel, lastAccountId, lastTo, model };
}

/** Apply `patch` to `entry` in place (`null` removes a field, `undefined` leaves it) and touch it. */
export function applyPatch(entry: SessionEntry, patch: SessionPatch, now: number): void {
  for (const [key, value] of Object.entries(patch) as Array<[keyof SessionPatch, unknown]>) {
    if (value === null) delete entry[key];
    else if (value !== undefined) (entry as Record<string, unknown>)[key] = value;
  }
  entry.updatedAt = now;
}

/** Count an appended message in `entry`'s running totals (in place) and touch it at `ts`. */
export function countMessage(entry: SessionEntry, message: MessageFields, ts: number): void {
  entry.messageCount++;
  if (message.usage) {
    entry.tokens.input += message.usage.input;
    entry.tokens.output += message.usage.output;
    entry.tokens.total += message.usage.total ?? message.usage.input + message.usage.output;
  }
  entry.updatedAt = ts;
}
