import type { IncomingMessage, ServerResponse } from 'node:http';
import { METRICS_CONTENT_TYPE } from './registry.js';

export interface MetricsHandlerDeps {
  /** The exposition document (`MetricsRegistry.render`). */
  render(): string;
  /** True when the request may read the metrics (the gateway checks its Bearer token). */
  authorize(req: IncomingMessage): boolean;
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * `GET /metrics` (and HEAD) in the Prometheus text format, behind `authorize`: 401 with
 * `WWW-Authenticate: Bearer` when it says no, 405 for other methods. Returns false for other paths.
 */
export function createMetricsHandler(deps: MetricsHandlerDeps) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const body = JSON.stringify({ error: { message: 'use GET /metrics', type: 'method_not_allowed' } });
      plain(res, 405, body, { allow: 'GET, HEAD' });
      return true;
    }
    if (!deps.authorize(req)) {
      const body = JSON.stringify({
        error: { message: 'Unauthorized: send Authorization: Bearer <gateway token>', type: 'unauthorized' },
      });
      plain(res, 401, body, { 'www-authenticate': 'Bearer realm="carapace"' });
      return true;
    }
    const text = deps.render();
    res.writeHead(200, {
      'content-type': METRICS_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  };
}
