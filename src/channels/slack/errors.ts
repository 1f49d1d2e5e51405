import type { Logger, LogLevel } from '@slack/bolt';
import type { CarapaceError } from '../../shared/index.js';
import type { ChannelLogger } from '../contract.js';
import { channelSendError } from '../contract.js';

/** Network errors raised before a request reached Slack: a retry cannot duplicate anything. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** Platform errors after which the message was not posted and a later try may work. */
const RETRY_PLATFORM = new Set(['ratelimited', 'service_unavailable', 'team_added_to_org']);
/** Platform errors after which the message may or may not have been posted. */
const UNKNOWN_PLATFORM = new Set(['internal_error', 'fatal_error', 'request_timeout']);
/** auth.test answers that no retry will fix. */
export const FATAL_AUTH = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
]);

/** The pieces of a @slack/web-api error the adapter reads. */
interface WebApiError {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
  statusCode?: number;
  original?: unknown;
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('slack_')) return code;
    const next = (e as { original?: unknown; cause?: unknown }).original ?? (e as { cause?: unknown }).cause;
    e = next;
  }
  return undefined;
}

/** The Slack `error` string of a platform error (`channel_not_found` …), if it is one. */
export function platformError(err: unknown): string | undefined {
  const e = err as WebApiError;
  return e?.code === 'slack_webapi_platform_error' ? e.data?.error : undefined;
}

/**
 * A Web API failure as a channel send error: rate limited → retry after `retryAfter`; transient
 * platform errors and HTTP 5xx → retry; `internal_error` and timeouts → unknown; other platform errors
 * → fatal; a network error before connecting → retry, any other → unknown.
 */
export function toSendError(err: unknown, method: string): CarapaceError {
  const e = err as WebApiError;
  if (e?.code === 'slack_webapi_rate_limited_error') {
    return channelSendError('retry', `slack ${method}: rate limited`, {
      status: 429,
      retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000,
    });
  }
  const platform = platformError(err);
  if (platform !== undefined) {
    const outcome = RETRY_PLATFORM.has(platform)
      ? 'retry'
      : UNKNOWN_PLATFORM.has(platform)
        ? 'unknown'
        : 'fatal';
    return channelSendError(outcome, `slack ${method}: ${platform}`);
  }
  if (e?.code === 'slack_webapi_http_error' && typeof e.statusCode === 'number') {
    const status = e.statusCode;
    return channelSendError(status >= 500 ? 'retry' : 'fatal', `slack ${method}: HTTP ${status}`, { status });
  }
  const code = networkCode(err);
  const what = `slack ${method}: network error${code ? ` ${code}` : ''}`;
  return channelSendError(code !== undefined && NOT_CONNECTED.has(code) ? 'retry' : 'unknown', what);
}

/** A short, token-free description of a Web API or socket failure, for status and logs. */
export function describeError(err: unknown): string {
  const e = err as WebApiError;
  const platform = platformError(err);
  if (platform) return platform;
  if (e?.code === 'slack_webapi_rate_limited_error')
    return `rate limited (retry after ${e.retryAfter ?? '?'} s)`;
  if (e?.code === 'slack_webapi_http_error') return `HTTP ${e.statusCode ?? '?'}`;
  const code = networkCode(err);
  if (code) return `network error ${code}`;
  return redactSlackTokens(err instanceof Error ? err.message.slice(0, 200) : 'error');
}

/** Slack tokens (`xoxb-…`, `xapp-…` …) and socket-mode tickets replaced by `[redacted]`. */
export function redactSlackTokens(text: string): string {
  return text
    .replace(/\bx(ox[abprse]|app)-[A-Za-z0-9-]+/g, '[redacted]')
    .replace(/ticket=[^&\s"]+/g, 'ticket=[redacted]');
}

/**
 * Bolt's logger interface on top of a ChannelLogger: only warnings and errors pass (Bolt's debug output
 * can carry request bodies), each line with tokens redacted.
 */
export function slackLogger(logger: ChannelLogger, where: Record<string, string>): Logger {
  let level = 'warn' as LogLevel;
  const text = (msg: unknown[]) =>
    redactSlackTokens(msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' '));
  return {
    debug: () => {},
    info: () => {},
    warn: (...msg: unknown[]) => logger.warn({ ...where, detail: text(msg) }, 'slack library warning'),
    error: (...msg: unknown[]) => logger.error({ ...where, detail: text(msg) }, 'slack library error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
