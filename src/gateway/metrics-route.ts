import type { IncomingMessage } from 'node:http';
import { createMetricsHandler, type GatewayMetrics } from '../metrics/index.js';
import { secretsEqual } from './auth.js';
import type { HttpRoute } from './http-routes.js';
import type { FailureLimiter } from './rate-limit.js';

export interface MetricsRouteDeps {
  metrics: GatewayMetrics;
  /** The gateway's shared secret; undefined when auth is off (loopback only). */
  secret(): string | undefined;
  limiter: FailureLimiter;
}

/**
 * `GET /metrics` behind the gateway's auth: `Authorization: Bearer <gateway token or password>`. Wrong
 * tokens count against the same per-address failure limit as WebSocket connects.
 */
export function createMetricsRoute(deps: MetricsRouteDeps): HttpRoute {
  const authorize = (req: IncomingMessage): boolean => {
    const secret = deps.secret();
    if (secret === undefined) return true;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const key = `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    if (deps.limiter.retryAfter(key) > 0) return false;
    if (token && secretsEqual(token, secret)) return true;
    if (token) deps.limiter.fail(key);
    return false;
  };
  return createMetricsHandler({ render: () => deps.metrics.registry.render(), authorize });
}
