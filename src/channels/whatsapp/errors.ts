import type { CarapaceError } from '../../shared/index.js';
import { channelSendError } from '../contract.js';

/** Baileys' disconnect codes the adapter treats specially (`DisconnectReason`, without loading Baileys). */
export const DISCONNECT = {
  connectionClosed: 428,
  connectionLost: 408,
  loggedOut: 401,
  forbidden: 403,
  connectionReplaced: 440,
  badSession: 500,
  restartRequired: 515,
  unavailableService: 503,
} as const;

/** The HTTP-like status of a Baileys (Boom) error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { output?: { statusCode?: unknown }; statusCode?: unknown } | null | undefined;
  const code = e?.output?.statusCode ?? e?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A short description of a disconnect, for status and logs (never payloads). */
export function describeDisconnect(err: unknown): string {
  const status = statusOf(err);
  const message = err instanceof Error ? err.message : undefined;
  return [status, message].filter((x) => x !== undefined && x !== '').join(' ') || 'connection closed';
}

/**
 * A failed `sendMessage` as a channel send error: the connection closed before the message was written
 * (428) or the service is unavailable (5xx) → retry; WhatsApp refused it (other 4xx) → fatal; a timeout
 * or anything else → unknown (it may have been delivered).
 */
export function toSendError(err: unknown, what: string): CarapaceError {
  const status = statusOf(err);
  const text = `whatsapp ${what}: ${describeDisconnect(err)}`;
  if (status === DISCONNECT.connectionClosed || (status !== undefined && status >= 500)) {
    return channelSendError('retry', text, { status });
  }
  if (status !== undefined && status >= 400 && status !== DISCONNECT.connectionLost) {
    return channelSendError('fatal', text, { status });
  }
  return channelSendError('unknown', text, status !== undefined ? { status } : {});
}
