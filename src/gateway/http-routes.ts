import type { IncomingMessage, ServerResponse } from 'node:http';

/** An extra HTTP route: true when it handled the request (it then owns the response). */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface HttpDeps {
  /** 'starting' | 'ready' | 'draining' */
  readiness(): string;
  /** The browser Origin policy (origin.ts); requests with a refused Origin never reach an API route. */
  originAllowed?: (origin: string) => boolean;
  /** Extra routes registered by subsystems (WebChat, OpenAI-compatible API, hooks); true when handled. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** Query parameters that would carry a credential: refused on every API path (never in a URL). */
export const CREDENTIAL_QUERY =
  /^(?:.*token.*|.*secret.*|.*passw.*|.*api[-_]?key.*|key|auth|authorization)$/i;

/** Paths of the HTTP API (everything but the static Control UI and the health probes). */
export function isApiPath(path: string): boolean {
  return /^\/(?:v1|hooks|metrics|api)(?:\/|$)/.test(path);
}

/**
 * Refuse what no API request may be: a browser Origin the gateway does not allow (any method but a plain
 * page load), and a credential in the query string (tokens go in headers, never in URLs).
 */
function refusal(req: IncomingMessage, path: string, deps: HttpDeps): [number, string, string] | undefined {
  const origin = req.headers.origin;
  const safe = (req.method === 'GET' || req.method === 'HEAD') && !isApiPath(path);
  if (typeof origin === 'string' && deps.originAllowed && !safe && !deps.originAllowed(origin)) {
    return [
      403,
      'forbidden',
      `origin not allowed: ${origin.slice(0, 200)} (add it to gateway.controlUi.allowedOrigins)`,
    ];
  }
  if (isApiPath(path)) {
    const query = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams;
    if ([...query.keys()].some((k) => CREDENTIAL_QUERY.test(k))) {
      return [400, 'token_in_url', 'credentials go in the Authorization header, never in the URL'];
    }
  }
  return undefined;
}

/**
 * HTTP on the gateway's port: liveness (`/health`, `/healthz`), readiness (`/ready`, `/readyz`; 503
 * while starting or draining). No auth, and nothing but these bounded fields is revealed.
 */
export function handleHttp(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const refused = refusal(req, path, deps);
  if (refused) {
    json(res, refused[0], { error: { message: refused[2], type: refused[1] } });
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (path === '/health' || path === '/healthz') {
      json(res, 200, { ok: true, status: 'live' });
      return;
    }
    if (path === '/ready' || path === '/readyz') {
      const state = deps.readiness();
      json(res, state === 'ready' ? 200 : 503, { ok: state === 'ready', status: state });
      return;
    }
  }
  if (deps.extra?.(req, res)) return;
  json(res, 404, { error: { message: `not found: ${req.method} ${path}`, type: 'not_found' } });
}
