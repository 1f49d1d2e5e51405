import { CarapaceError, errorMessage } from '../shared/index.js';

/** One search hit. */
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchRequest {
  query: string;
  count: number;
  signal: AbortSignal;
}

/** The web_search port: a search backend. Throws CarapaceError SEARCH_FAILED on backend errors. */
export interface SearchProvider {
  /** Short name shown in results ('brave', 'searxng', …). */
  id: string;
  search(req: SearchRequest): Promise<SearchResult[]>;
}

/** The fetch the providers use (the operator's configured endpoint, so not SSRF-guarded). */
export type FetchLike = (
  input: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export const DEFAULT_BRAVE_BASE_URL = 'https://api.search.brave.com';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function failure(id: string, message: string, retryable = false): CarapaceError {
  return new CarapaceError('SEARCH_FAILED', `${id} search failed: ${message}`, { retryable });
}

async function getJson(
  id: string,
  fetch: FetchLike,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) {
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal });
  } catch (err) {
    if (signal.aborted) throw failure(id, 'timed out or aborted', true);
    throw failure(id, errorMessage(err), true);
  }
  if (!res.ok) {
    const why =
      res.status === 401 || res.status === 403
        ? 'the API key was refused (check tools.web.search.apiKey)'
        : res.status === 429
          ? 'rate limited; try again later'
          : 'the search service returned an error';
    throw failure(id, `HTTP ${res.status}: ${why}`, res.status === 429 || res.status >= 500);
  }
  try {
    return await res.json();
  } catch {
    throw failure(id, 'the answer was not JSON');
  }
}

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Brave Search API (`GET /res/v1/web/search`, key in X-Subscription-Token). */
export function createBraveSearch(options: {
  apiKey: string;
  baseUrl?: string;
  fetch?: FetchLike;
}): SearchProvider {
  const fetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  return {
    id: 'brave',
    async search({ query, count, signal }) {
      const url = `${base(options.baseUrl ?? DEFAULT_BRAVE_BASE_URL)}/res/v1/web/search?q=${encodeURIComponent(query)}&count=${count}`;
      const body = (await getJson(
        'brave',
        fetch,
        url,
        { 'x-subscription-token': options.apiKey },
        signal,
      )) as {
        web?: { results?: unknown[] };
      };
      const results = Array.isArray(body?.web?.results) ? body.web.results : [];
      return results.slice(0, count).map((r) => {
        const o = (r ?? {}) as Record<string, unknown>;
        return { title: str(o.title), url: str(o.url), snippet: str(o.description) };
      });
    },
  };
}

/** A SearXNG instance (`GET /search?format=json`; the instance must enable the json format). */
export function createSearxngSearch(options: {
  baseUrl: string;
  apiKey?: string;
  fetch?: FetchLike;
}): SearchProvider {
  const fetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  return {
    id: 'searxng',
    async search({ query, count, signal }) {
      const url = `${base(options.baseUrl)}/search?q=${encodeURIComponent(query)}&format=json`;
      const headers: Record<string, string> = options.apiKey
        ? { authorization: `Bearer ${options.apiKey}` }
        : {};
      const body = (await getJson('searxng', fetch, url, headers, signal)) as { results?: unknown[] };
      const results = Array.isArray(body?.results) ? body.results : [];
      return results.slice(0, count).map((r) => {
        const o = (r ?? {}) as Record<string, unknown>;
        return { title: str(o.title), url: str(o.url), snippet: str(o.content) };
      });
    },
  };
}
