import type { APICallError } from 'ai';

/**
 * `APICallError.isInstance` without loading the AI SDK (it is loaded with the first model call): the SDK's
 * errors carry this marker, which is how the SDK itself recognises them across copies of the package.
 */
const API_CALL_ERROR = Symbol.for('vercel.ai.error.AI_APICallError');

function isApiCallError(err: unknown): err is APICallError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[API_CALL_ERROR] === true;
}

import { errorMessage } from '../shared/index.js';
import type { ModelError, ModelErrorKind } from './types.js';

const CONTEXT_OVERFLOW =
  /context[ _-]?length|context[ _-]?window|maximum context|prompt is too long|too many tokens|input is too long|exceeds? the (?:model's )?(?:maximum|context)/i;

/**
 * Milliseconds to wait from a response's `retry-after-ms` or `retry-after` (seconds or an HTTP date)
 * header. Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  headers: Record<string, string> | undefined,
  now: number,
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) =>
    Object.entries(headers)
      .find(([k]) => k.toLowerCase() === name)?.[1]
      ?.trim();
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff `base · 2^attempt`, ±20 % jitter from `random` (0..1), capped at `max`. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const raw = baseMs * 2 ** attempt * (0.8 + 0.4 * random());
  return Math.min(maxMs, Math.round(raw));
}

function isAbortLike(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'ResponseAborted');
}

function byStatus(status: number, message: string): { kind: ModelErrorKind; retryable: boolean } {
  if (status === 401 || status === 403) return { kind: 'auth', retryable: false };
  if (status === 429) return { kind: 'rate_limit', retryable: true };
  if (status === 408 || status === 409 || status >= 500) return { kind: 'server', retryable: true };
  if (CONTEXT_OVERFLOW.test(message)) return { kind: 'context_overflow', retryable: false };
  return { kind: 'bad_request', retryable: false };
}

/** An error object some providers put in the stream (`{ type: 'overloaded_error', message }`, …). */
function byStreamError(
  err: unknown,
): { kind: ModelErrorKind; retryable: boolean; message: string } | undefined {
  if (typeof err !== 'object' || err === null || err instanceof Error) return undefined;
  const o = err as { type?: unknown; message?: unknown; error?: { type?: unknown; message?: unknown } };
  const type = String(o.error?.type ?? o.type ?? '');
  const message = String(o.error?.message ?? o.message ?? (type || 'stream error'));
  if (/overloaded|server_error|api_error/.test(type)) return { kind: 'server', retryable: true, message };
  if (/rate_limit/.test(type)) return { kind: 'rate_limit', retryable: true, message };
  if (/authentication|permission/.test(type)) return { kind: 'auth', retryable: false, message };
  if (CONTEXT_OVERFLOW.test(message)) return { kind: 'context_overflow', retryable: false, message };
  return { kind: 'unknown', retryable: false, message };
}

/**
 * Normalize anything a provider call threw or streamed into a ModelError (message not yet scrubbed).
 * `aborted` is whether the caller's signal fired: then the kind is always `aborted`.
 */
export function classifyError(err: unknown, aborted: boolean, now: number): ModelError {
  if (aborted || isAbortLike(err)) return { kind: 'aborted', message: 'aborted', retryable: false };
  if (isApiCallError(err)) {
    const message = err.message || `HTTP ${err.statusCode ?? 'error'}`;
    const retryAfterMs = parseRetryAfter(err.responseHeaders, now);
    const extra = retryAfterMs === undefined ? {} : { retryAfterMs };
    if (err.statusCode === undefined) {
      return { kind: 'network', message, retryable: err.isRetryable, ...extra };
    }
    return { ...byStatus(err.statusCode, message), message, status: err.statusCode, ...extra };
  }
  const streamed = byStreamError(err);
  if (streamed) return streamed;
  const message = errorMessage(err);
  if (
    err instanceof TypeError &&
    /fetch failed|network|socket|ECONN/i.test(`${message} ${String(err.cause)}`)
  ) {
    return { kind: 'network', message, retryable: true };
  }
  if (CONTEXT_OVERFLOW.test(message)) return { kind: 'context_overflow', message, retryable: false };
  return { kind: 'unknown', message, retryable: false };
}
