import { CarapaceError, errorMessage, isCarapaceError } from '../shared/index.js';
import { createNodeTransport, type HttpTransport } from './http-transport.js';
import { type CheckUrlOptions, checkUrl } from './ssrf.js';

export interface GuardedFetchOptions extends CheckUrlOptions {
  /** Redirects followed at most (each hop is checked again); default 3. */
  maxRedirects?: number;
  /** Whole-fetch deadline across all hops; default 30 s. */
  timeoutMs?: number;
  /** Body bytes kept (after decompression); default 2 MiB. */
  maxBytes?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The pinned HTTP port (default node:http/https). */
  transport?: HttpTransport;
}

export interface GuardedResponse {
  /** The final URL, after redirects (fragment removed). */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  truncated: boolean;
  /** Every URL that answered with a redirect, in order. */
  redirects: string[];
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);
const DEFAULT_HEADERS: Record<string, string> = {
  'user-agent': 'Carapace/0.1 (+web_fetch)',
  accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.8,*/*;q=0.5',
  'accept-encoding': 'gzip, deflate, br',
};

function deadline(
  signal: AbortSignal | undefined,
  timeoutMs: number,
): { signal: AbortSignal; timeout: AbortSignal } {
  const timeout = AbortSignal.timeout(timeoutMs);
  return { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, timeout };
}

/**
 * GET a URL through the SSRF guard: every hop (the first and each redirect, at most `maxRedirects`) is
 * checked with `checkUrl` before any connection, and the connection is pinned to the checked address.
 * Only GET, no cookies, no credentials. Throws CarapaceError URL_INVALID, URL_BLOCKED, DNS_FAILED,
 * TOO_MANY_REDIRECTS, FETCH_TIMEOUT, FETCH_ABORTED or FETCH_FAILED.
 */
export async function guardedFetch(
  input: string | URL,
  options: GuardedFetchOptions = {},
): Promise<GuardedResponse> {
  const maxRedirects = options.maxRedirects ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = options.transport ?? createNodeTransport();
  const { signal, timeout } = deadline(options.signal, timeoutMs);
  const redirects: string[] = [];
  let next = typeof input === 'string' ? input : input.href;
  for (;;) {
    const checked = await untilAborted(checkUrl(next, options), signal, () => aborted(timeout, timeoutMs));
    checked.url.hash = '';
    let res: Awaited<ReturnType<HttpTransport>>;
    try {
      res = await transport({
        url: checked.url,
        address: checked.address,
        family: checked.family,
        headers: { ...DEFAULT_HEADERS, ...options.headers },
        signal,
        maxBytes: options.maxBytes ?? 2 * 1024 * 1024,
      });
    } catch (err) {
      if (signal.aborted) throw aborted(timeout, timeoutMs);
      if (isCarapaceError(err)) throw err;
      throw new CarapaceError('FETCH_FAILED', `fetching ${checked.url.href} failed: ${errorMessage(err)}`, {
        retryable: true,
        cause: err,
      });
    }
    const location = res.headers.location;
    if (!REDIRECT.has(res.status) || !location) return { ...res, url: checked.url.href, redirects };
    redirects.push(checked.url.href);
    if (redirects.length > maxRedirects) {
      throw new CarapaceError(
        'TOO_MANY_REDIRECTS',
        `more than ${maxRedirects} redirects (last: ${checked.url.href})`,
        {
          details: { redirects },
        },
      );
    }
    try {
      next = new URL(location, checked.url).href;
    } catch {
      throw new CarapaceError('FETCH_FAILED', `redirect to an invalid location from ${checked.url.href}`);
    }
  }
}

function aborted(timeout: AbortSignal, timeoutMs: number): CarapaceError {
  if (timeout.aborted) {
    return new CarapaceError('FETCH_TIMEOUT', `the fetch took longer than ${timeoutMs} ms`, {
      retryable: true,
    });
  }
  return new CarapaceError('FETCH_ABORTED', 'the fetch was aborted');
}

/** `promise`, or a rejection as soon as `signal` aborts (a DNS lookup cannot be cancelled, only left). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, why: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(why());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(why());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
