import type { GrammyError, HttpError } from 'grammy';
import type { CarapaceError } from '../../shared/index.js';
import { channelSendError } from '../contract.js';

/**
 * A Bot API refusal from grammY. Matched by name and shape, not `instanceof`: grammY is loaded only when a
 * bot starts (the gateway starts without it when no Telegram account is configured).
 */
export function isGrammyError(err: unknown): err is GrammyError {
  return (
    err instanceof Error &&
    err.name === 'GrammyError' &&
    typeof (err as { error_code?: unknown }).error_code === 'number'
  );
}

/** A network failure grammY wrapped (the cause is in `error`). */
function isHttpError(err: unknown): err is HttpError {
  return err instanceof Error && err.name === 'HttpError';
}

/** Network errors raised before a request could reach the server: a retry cannot duplicate anything. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);

/** The errno-like code of a fetch failure (node-fetch puts it on the error, undici on its cause). */
export function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for Telegram's "can't parse entities" refusal (the HTML did not parse; nothing was sent). */
export function isParseError(err: unknown): boolean {
  return isGrammyError(err) && err.error_code === 400 && /parse entities/i.test(err.description);
}

/**
 * A Bot API failure as a channel send error: 429 → retry after `retry_after`; 5xx → retry; other API
 * errors → fatal; a network error before connecting → retry; any other network error → unknown (the
 * request may have been delivered). Messages never include the request URL (it holds the bot token).
 */
export function toSendError(err: unknown, method: string): CarapaceError {
  if (isGrammyError(err)) {
    const status = err.error_code;
    const what = `telegram ${method}: ${status} ${err.description}`;
    if (status === 429) {
      const after = err.parameters?.retry_after;
      return channelSendError('retry', what, {
        status,
        retryAfterMs: (typeof after === 'number' ? after : 1) * 1000,
      });
    }
    return channelSendError(status >= 500 ? 'retry' : 'fatal', what, { status });
  }
  const code = isHttpError(err) ? networkCode(err.error) : networkCode(err);
  const what = `telegram ${method}: network error${code ? ` ${code}` : ''}`;
  return channelSendError(code !== undefined && NOT_CONNECTED.has(code) ? 'retry' : 'unknown', what);
}

/** A short, token-free description of any Bot API failure, for status and logs. */
export function describeError(err: unknown): string {
  if (isGrammyError(err)) return `${err.error_code} ${err.description}`;
  const code = isHttpError(err) ? networkCode(err.error) : networkCode(err);
  if (code) return `network error ${code}`;
  if (isHttpError(err)) return 'network error';
  return err instanceof Error ? err.name : 'error';
}
