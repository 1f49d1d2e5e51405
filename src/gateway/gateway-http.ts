import type { Config } from '../config/index.js';
import type { GatewayMetrics } from '../metrics/index.js';
import type { Clock } from '../shared/index.js';
import type { HttpRoute } from './http-routes.js';
import { createMetricsRoute } from './metrics-route.js';
import { createOpenAiHandler, type OpenAiHttpDeps } from './openai-http.js';
import type { FailureLimiter } from './rate-limit.js';
import type { RunService } from './runs/run-service.js';
import type { GatewaySessions } from './sessions.js';
import { createStaticHandler, findWebRoot } from './static.js';

/** What the gateway's HTTP routes reach. */
export interface GatewayRoutesDeps {
  config(): Config;
  /** The shared secret API requests must bear; undefined when auth is off. */
  secret(): string | undefined;
  /** Failed bearer tokens count against the same per-address limit as WebSocket connects. */
  limiter: FailureLimiter;
  sessions: GatewaySessions;
  runs: RunService;
  onEvent: OpenAiHttpDeps['onEvent'];
  clock: Clock;
  metrics: GatewayMetrics;
  /** The services' own routes (webhooks). */
  serviceRoutes: readonly HttpRoute[];
  /** Where the Control UI is looked for when the package has no built `web/dist`. */
  stateDir: string;
}

/**
 * The gateway's HTTP routes after the built-in probes, in the order they are tried: the OpenAI-compatible
 * API, `/metrics`, the services' routes, then WebChat / Control UI at `/` (after every API route).
 */
export function gatewayHttpRoutes(deps: GatewayRoutesDeps): HttpRoute[] {
  return [
    createOpenAiHandler({
      enabled: () => deps.config().gateway.http.endpoints.chatCompletions.enabled,
      secret: deps.secret,
      limiter: deps.limiter,
      sessions: deps.sessions,
      runs: deps.runs,
      onEvent: deps.onEvent,
      clock: deps.clock,
    }),
    createMetricsRoute({ metrics: deps.metrics, secret: deps.secret, limiter: deps.limiter }),
    ...deps.serviceRoutes,
    createStaticHandler(findWebRoot(import.meta.url) ?? `${deps.stateDir}/web`),
  ];
}
