import type { IncomingMessage, ServerResponse } from 'node:http';

/** An extra HTTP route: true when it handled the request (it then owns the response). */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface HttpDeps {
  /** 'starting' | 'ready' | 'draining' */
  readiness(): string;
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

/**
 * HTTP on the gateway's port: liveness (`/health`, `/healthz`), readiness (`/ready`, `/readyz`; 503
 * while starting or draining). No auth, and nothing but these bounded fields is revealed.
 */
export function handleHttp(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): void {
  const path = (req.url ?? '/').split('?')[0];
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
