import { DiscordAPIError, HTTPError, RateLimitError } from '@discordjs/rest';
import type { CarapaceError } from '../../shared/index.js';
import { channelSendError } from '../contract.js';

/** Network errors raised before a request reached Discord: a retry cannot duplicate anything. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Discord's JSON error code for "Unknown Channel". */
export const UNKNOWN_CHANNEL = 10003;

/** The errno-like code of a failed request (undici puts it on the cause). */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for Discord's "Unknown Channel" answer. */
export function isUnknownChannel(err: unknown): boolean {
  return err instanceof DiscordAPIError && err.code === UNKNOWN_CHANNEL;
}

/**
 * A REST failure as a channel send error: a rate limit → retry after it; 5xx → retry; other API errors
 * → fatal; a network error before connecting → retry; a timeout or a lost response → unknown (the
 * message may have been created). Messages never include the token (it only travels in a header).
 */
export function toSendError(err: unknown, what: string): CarapaceError {
  if (err instanceof RateLimitError) {
    return channelSendError('retry', `discord ${what}: rate limited`, {
      status: 429,
      retryAfterMs: Math.max(1, err.retryAfter),
    });
  }
  if (err instanceof DiscordAPIError || err instanceof HTTPError) {
    const status = err.status;
    const code = err instanceof DiscordAPIError ? ` (code ${err.code})` : '';
    const message = `discord ${what}: ${status} ${err.message}${code}`;
    if (status === 429) return channelSendError('retry', message, { status, retryAfterMs: 1000 });
    return channelSendError(status >= 500 ? 'retry' : 'fatal', message, { status });
  }
  const code = networkCode(err);
  const message = `discord ${what}: network error${code ? ` ${code}` : ''}`;
  return channelSendError(code !== undefined && NOT_CONNECTED.has(code) ? 'retry' : 'unknown', message);
}

/** A short, token-free description of any REST or gateway failure, for status and logs. */
export function describeError(err: unknown): string {
  if (err instanceof DiscordAPIError) return `${err.status} ${err.message} (code ${err.code})`;
  if (err instanceof HTTPError) return `${err.status} ${err.message}`;
  if (err instanceof RateLimitError) return `rate limited for ${err.retryAfter} ms`;
  const code = networkCode(err);
  if (code) return `network error ${code}`;
  return err instanceof Error ? err.message.slice(0, 200) : 'error';
}
