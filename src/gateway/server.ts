import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode, PRE_AUTH_MAX_PAYLOAD } from '../protocol/index.js';
import { shortId } from '../shared/index.js';
import { Connection } from './connection.js';
import { CREDENTIAL_QUERY, type HttpDeps, handleHttp } from './http-routes.js';
import { originAllowed } from './origin.js';

export interface TransportLimits {
  maxPayload: number;
  maxBufferedBytes: number;
  handshakeTimeoutMs: number;
  maxConnectionsPerIp: number;
  allowedOrigins: readonly string[];
}

export interface TransportHandlers {
  onFrame(conn: Connection, data: string): void;
  onOpen(conn: Connection): void;
  onClose(conn: Connection): void;
  onRefused(reason: string, remote: string, origin: string | undefined): void;
  /** A frame was written to a connection (metrics). */
  onFrameSent?(): void;
  /** Serialize an outgoing frame with every registered secret masked. */
  scrub?(frame: unknown): string;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ error: { message: text, type: 'forbidden' } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Too Many Requests'}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The gateway's single port: HTTP routes and the WebSocket control plane on path `/`. Knows framing,
 * limits and Origin policy; what frames mean is the handlers' business.
 */
export class GatewayTransport {
  readonly http: Server;
  readonly connections = new Map<string, Connection>();
  readonly #wss: WebSocketServer;
  readonly #perIp = new Map<string, number>();
  readonly #alive = new WeakMap<WebSocket, boolean>();
  #port = 0;

  constructor(
    private limits: () => TransportLimits,
    private readonly handlers: TransportHandlers,
    http: HttpDeps,
  ) {
    this.http = createServer((req, res) => handleHttp(req, res, http));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits().maxPayload,
      perMessageDeflate: false,
    });
    this.http.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  get port(): number {
    return this.#port;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen({ port, host, exclusive: true }, () => {
        this.http.off('error', onError);
        const addr = this.http.address();
        this.#port = typeof addr === 'object' && addr ? addr.port : port;
        resolve(this.#port);
      });
    });
  }

  /** Stop accepting, close every connection with `code`, and close the port. */
  async close(code: number, reason: string): Promise<void> {
    const closing = new Promise<void>((resolve) => this.http.close(() => resolve()));
    const sockets = [...this.#wss.clients];
    for (const conn of this.connections.values()) conn.close(code, reason);
    // Give clients a moment to read the close frame and answer it; then drop whoever lingers.
    await Promise.race([
      Promise.all(
        sockets.map(
          (ws) => new Promise<void>((r) => (ws.readyState === ws.CLOSED ? r() : ws.once('close', () => r()))),
        ),
      ),
      new Promise<void>((r) => setTimeout(r, 500).unref()),
    ]);
    for (const ws of this.#wss.clients) ws.terminate();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await closing;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remote = req.socket.remoteAddress ?? 'unknown';
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const path = (req.url ?? '/').split('?')[0];
    const limits = this.limits();
    if (path !== '/') {
      this.handlers.onRefused('bad-path', remote, origin);
      refuseUpgrade(socket, 403, `no WebSocket endpoint at ${path}; connect to /`);
      return;
    }
    const query = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams;
    if ([...query.keys()].some((k) => CREDENTIAL_QUERY.test(k))) {
      this.handlers.onRefused('credential-in-url', remote, origin);
      refuseUpgrade(socket, 403, 'credentials go in the connect frame, never in the URL');
      return;
    }
    if (origin !== undefined && !originAllowed(origin, this.#port, limits.allowedOrigins)) {
      this.handlers.onRefused('origin', remote, origin);
      refuseUpgrade(
        socket,
        403,
        `origin not allowed: ${origin.slice(0, 200)} (add it to gateway.controlUi.allowedOrigins)`,
      );
      return;
    }
    if ((this.#perIp.get(remote) ?? 0) >= limits.maxConnectionsPerIp) {
      this.handlers.onRefused('per-ip-cap', remote, origin);
      refuseUpgrade(socket, 429, 'too many connections from this address');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws, remote, origin));
  }

  #open(ws: WebSocket, remote: string, origin: string | undefined): void {
    this.#perIp.set(remote, (this.#perIp.get(remote) ?? 0) + 1);
    const conn = new Connection(
      shortId(),
      ws,
      remote,
      origin,
      () => this.limits().maxBufferedBytes,
      (c) => c.close(CloseCode.policyViolation, 'slow consumer: send buffer exceeded maxBufferedBytes'),
      this.handlers.onFrameSent,
      this.handlers.scrub,
    );
    this.connections.set(conn.id, conn);
    this.#alive.set(ws, true);
    ws.on('pong', () => this.#alive.set(ws, true));
    const timer = setTimeout(() => {
      if (conn.phase === 'handshake')
        conn.close(CloseCode.policyViolation, 'handshake timeout: send connect first');
    }, this.limits().handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
      if (conn.phase === 'handshake' && size > PRE_AUTH_MAX_PAYLOAD) {
        conn.close(CloseCode.tooBig, 'frame too large before authentication');
        return;
      }
      if (isBinary) {
        conn.close(CloseCode.policyViolation, 'binary frames are not supported; send JSON text');
        return;
      }
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
      this.handlers.onFrame(conn, text);
    });
    ws.on('error', () => conn.close(CloseCode.protocolError, 'protocol error'));
    ws.on('close', () => {
      clearTimeout(timer);
      if (conn.phase !== 'closed') {
        conn.phase = 'closed';
        conn.abort.abort(new Error('connection closed'));
      }
      this.connections.delete(conn.id);
      const n = (this.#perIp.get(remote) ?? 1) - 1;
      if (n <= 0) this.#perIp.delete(remote);
      else this.#perIp.set(remote, n);
      this.handlers.onClose(conn);
    });
    this.handlers.onOpen(conn);
  }

  /** Ping every socket; terminate those that did not answer the previous ping. */
  heartbeat(): void {
    for (const conn of this.connections.values()) {
      const ws = conn.ws;
      if (this.#alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      this.#alive.set(ws, false);
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }
}
