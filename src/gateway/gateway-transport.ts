import type { Config } from '../config/index.js';
import type { GatewayMetrics } from '../metrics/index.js';
import { MAX_BUFFERED_BYTES, MAX_PAYLOAD } from '../protocol/index.js';
import { CarapaceError, errnoCode, newToken } from '../shared/index.js';
import type { Connection } from './connection.js';
import { dispatchFrame } from './dispatch.js';
import { type HandshakeDeps, handleHandshakeFrame } from './handshake.js';
import type { HttpRoute } from './http-routes.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Logger, SecretScrubber } from './logger.js';
import { originAllowed } from './origin.js';
import { findPortHolder } from './port-holder.js';
import type { MethodRegistry } from './registry.js';
import { GatewayTransport } from './server.js';

/** What the gateway's side of the port needs: config, logs, metrics, the handshake and the methods. */
export interface GatewayTransportDeps {
  config(): Config;
  /** 'starting' | 'ready' | 'draining' | 'stopped'; methods run only while 'ready'. */
  readiness(): string;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Masks every registered secret in outgoing frames. */
  scrubber: SecretScrubber;
  /** HTTP routes after the built-in probes, tried in order (read on each request). */
  routes: readonly HttpRoute[];
  /** The secret, failure limiter and hello of a connect. */
  handshake: Pick<HandshakeDeps, 'secret' | 'limiter' | 'hello'>;
  registry: MethodRegistry;
  idempotency: IdempotencyStore;
  /** A client finished its handshake or an authenticated one left. */
  presenceChanged(): void;
}

/**
 * The gateway's port: limits from the live config, a challenge on open, the first frame to the
 * handshake and every later one to dispatch, presence on close, refusals logged, frames scrubbed.
 */
export function createGatewayTransport(deps: GatewayTransportDeps): GatewayTransport {
  const { logger, metrics } = deps;
  const onFrame = (conn: Connection, data: string): void => {
    if (conn.phase === 'handshake') {
      handleHandshakeFrame(conn, data, {
        ...deps.handshake,
        onAuthenticated: (c) => {
          logger.info(
            { connId: c.id, client: c.client?.id, mode: c.client?.mode, remote: c.remoteAddress },
            'client connected',
          );
          deps.presenceChanged();
        },
        onRejected: (c, reason) =>
          logger.warn(
            { connId: c.id, remote: c.remoteAddress, origin: c.origin, reason },
            'handshake refused',
          ),
      });
      return;
    }
    if (conn.phase !== 'open') return;
    dispatchFrame(conn, data, {
      registry: deps.registry,
      idempotency: deps.idempotency,
      accepting: () => deps.readiness() === 'ready',
      onInternalError: (err, method) => logger.error({ err, method }, 'method failed'),
    });
  };
  const transport: GatewayTransport = new GatewayTransport(
    () => {
      const gateway = deps.config().gateway;
      return {
        maxPayload: gateway.maxPayload ?? MAX_PAYLOAD,
        maxBufferedBytes: gateway.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
        handshakeTimeoutMs: gateway.handshakeTimeoutMs,
        maxConnectionsPerIp: gateway.maxConnectionsPerIp,
        allowedOrigins: gateway.controlUi.allowedOrigins,
      };
    },
    {
      onFrame: (conn, data) => {
        metrics.frame('in');
        onFrame(conn, data);
      },
      onFrameSent: () => metrics.frame('out'),
      onOpen: (conn) =>
        conn.event('connect.challenge', { nonce: newToken(16), ts: Date.now() }, undefined, true),
      onClose: (conn) => {
        if (conn.connectedAt > 0) {
          logger.info({ connId: conn.id }, 'client disconnected');
          deps.presenceChanged();
        }
      },
      onRefused: (reason, remote, origin) => logger.warn({ reason, remote, origin }, 'connection refused'),
      scrub: (frame) => deps.scrubber.scrubFrame(frame),
    },
    {
      readiness: deps.readiness,
      originAllowed: (origin) =>
        originAllowed(origin, transport.port, deps.config().gateway.controlUi.allowedOrigins),
      extra: (req, res) => deps.routes.some((route) => route(req, res)),
    },
  );
  return transport;
}

/** Listen on `host:port`; a busy port fails with `PORT_IN_USE` naming the process that holds it. */
export async function listenOrExplain(
  transport: GatewayTransport,
  port: number,
  host: string,
): Promise<void> {
  try {
    await transport.listen(port, host);
  } catch (err) {
    if (errnoCode(err) !== 'EADDRINUSE') throw err;
    const holder = await findPortHolder(port);
    const who = holder ? ` by pid ${holder.pid} (${holder.command.slice(0, 120)})` : '';
    throw new CarapaceError(
      'PORT_IN_USE',
      `port ${port} on ${host} is already in use${who}: stop that process or pick another port (--port or gateway.port)`,
      { details: { port, host, holder } },
    );
  }
}
