import WebSocket from 'ws';
import {
  ALL_SCOPES,
  type ConnectParams,
  type ErrorShape,
  type EventFrame,
  type HelloOk,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from '../../protocol/index.js';
import { CarapaceError, type Deferred, deferred, newId } from '../../shared/index.js';
import { ClientErrorCode, closedError, connectError, handshakeError, requestError } from './errors.js';

/** How to reach and authenticate to a gateway. */
export interface GatewayClientOptions {
  /** `ws://host:port` (`http://` is accepted and rewritten). */
  url: string;
  token?: string | undefined;
  password?: string | undefined;
  /** Reported as `client.version` in `connect`. */
  clientVersion: string;
  /** `client.id` and `client.mode`; both default to `cli`. */
  clientId?: string;
  mode?: string;
  /** Scopes to request; default all five operator scopes. */
  scopes?: readonly string[];
  /** Time allowed from opening the socket to hello-ok; default 10 s. */
  handshakeTimeoutMs?: number;
  /** The local token file, named in authentication errors so the fix is concrete. */
  tokenFile?: string | undefined;
  /** Every event after the handshake (ticks, health, agent progress …). */
  onEvent?: (event: EventFrame) => void;
}

/** Options of one call. */
export interface CallOptions {
  /** When the first answer is `{status:"accepted"}`, wait for the second answer to the same id. */
  expectFinal?: boolean;
  /** Give up after this long; default 30 s, or 10 min with `expectFinal`. */
  timeoutMs?: number;
  /** Called with the ack payload of an accepted request while waiting for the final answer. */
  onAccepted?: (payload: unknown) => void;
}

/** Receives one event frame (`payload` as the gateway sent it). */
export type EventListener = (event: EventFrame) => void;

/** An authenticated connection to a gateway. One per CLI command. */
export interface GatewayClient {
  readonly url: string;
  readonly hello: HelloOk;
  /** Call a method; resolves with the payload, rejects with a CarapaceError carrying the wire code/details. */
  call<T = unknown>(method: string, params?: unknown, options?: CallOptions): Promise<T>;
  /**
   * Listen to events after the handshake: every event, or only those named `event` (e.g. `agent`).
   * Listeners run in arrival order and must not throw. Returns a function that stops listening.
   */
  subscribe(listener: EventListener): () => void;
  subscribe(event: string, listener: EventListener): () => void;
  /** Close normally and wait (briefly) for the socket to go. */
  close(): Promise<void>;
}

interface Pending {
  method: string;
  expectFinal: boolean;
  onAccepted: ((payload: unknown) => void) | undefined;
  resolve: (payload: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_FINAL_TIMEOUT_MS = 600_000;

/** `ws://` / `wss://` URL from what the user typed; `http(s)://` is rewritten. */
export function normalizeGatewayUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new CarapaceError(
      ClientErrorCode.invalidArgument,
      `invalid gateway URL '${input}': expected ws://host:port`,
    );
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new CarapaceError(
      ClientErrorCode.invalidArgument,
      `invalid gateway URL '${input}': the scheme must be ws:// or wss://`,
    );
  }
  if (url.username || url.password || url.search) {
    throw new CarapaceError(
      ClientErrorCode.invalidArgument,
      `invalid gateway URL '${input}': no credentials or query in the URL; use --token or --password`,
    );
  }
  return url.href.replace(/\/$/, '');
}

/**
 * Open a connection, wait for `connect.challenge`, send `connect` and check hello-ok. Rejects with a
 * CarapaceError whose message says how to fix the problem (start the gateway, pass a token, upgrade …).
 */
export async function connectGateway(options: GatewayClientOptions): Promise<GatewayClient> {
  const url = normalizeGatewayUrl(options.url);
  const conn = new Connection(url, options);
  await conn.handshake.promise;
  return conn;
}

class Connection implements GatewayClient {
  readonly handshake: Deferred<void> = deferred<void>();
  hello!: HelloOk;
  #ws: WebSocket;
  #state: 'connecting' | 'authenticating' | 'ready' | 'closed' = 'connecting';
  #connectId = newId();
  #pending = new Map<string, Pending>();
  #closed = deferred<void>();
  #handshakeTimer: NodeJS.Timeout;
  #watchdog: NodeJS.Timeout | undefined;
  #lastFrameAt = Date.now();
  #listeners = new Set<{ event: string | undefined; listener: EventListener }>();

  constructor(
    readonly url: string,
    private readonly options: GatewayClientOptions,
  ) {
    const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    this.#handshakeTimer = setTimeout(() => {
      this.#fail(
        new CarapaceError(
          ClientErrorCode.timeout,
          `the gateway at ${url} did not complete the handshake within ${timeoutMs} ms`,
          { details: { url }, retryable: true },
        ),
      );
    }, timeoutMs);
    this.#ws.on('error', (err) => {
      if (this.#state === 'connecting' && this.#ws.readyState !== WebSocket.OPEN) {
        this.#fail(connectError(url, err));
      }
    });
    this.#ws.on('close', (code, reason) => this.#onClose(code, reason.toString()));
    this.#ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
  }

  call<T = unknown>(method: string, params?: unknown, options: CallOptions = {}): Promise<T> {
    if (this.#state !== 'ready') {
      return Promise.reject(
        new CarapaceError(ClientErrorCode.closed, `cannot call ${method}: the connection is closed`),
      );
    }
    const id = newId();
    const expectFinal = options.expectFinal ?? false;
    const timeoutMs = options.timeoutMs ?? (expectFinal ? DEFAULT_FINAL_TIMEOUT_MS : DEFAULT_CALL_TIMEOUT_MS);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new CarapaceError(ClientErrorCode.timeout, `${method} got no answer within ${timeoutMs} ms`, {
            details: { method, timeoutMs },
            retryable: true,
          }),
        );
      }, timeoutMs);
      this.#pending.set(id, {
        method,
        expectFinal,
        onAccepted: options.onAccepted,
        resolve: resolve as (payload: unknown) => void,
        reject,
        timer,
      });
      const frame = params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params };
      this.#ws.send(JSON.stringify(frame), (err) => {
        if (err) this.#settle(id, undefined, err);
      });
    });
  }

  subscribe(eventOrListener: string | EventListener, maybeListener?: EventListener): () => void {
    const entry =
      typeof eventOrListener === 'string'
        ? { event: eventOrListener, listener: maybeListener as EventListener }
        : { event: undefined, listener: eventOrListener };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    const force = setTimeout(() => this.#ws.terminate(), 1000);
    this.#ws.close(1000, 'client done');
    await this.#closed.promise;
    clearTimeout(force);
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.#lastFrameAt = Date.now();
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(isBinary ? '' : data.toString());
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      this.#fail(
        new CarapaceError(ClientErrorCode.badPeer, `${this.url} sent a frame that is not a JSON object`, {
          details: { url: this.url },
        }),
      );
      return;
    }
    if (frame.type === 'event') this.#onEvent(frame as EventFrame);
    else if (frame.type === 'res' && typeof frame.id === 'string') {
      if (frame.id === this.#connectId) this.#onHello(frame);
      else this.#onResponse(frame.id, frame);
    }
  }

  #onEvent(frame: EventFrame): void {
    if (frame.event === 'connect.challenge') {
      if (this.#state === 'connecting') this.#sendConnect();
      return;
    }
    if (this.#state !== 'ready') return;
    this.options.onEvent?.(frame);
    for (const { event, listener } of [...this.#listeners]) {
      if (event === undefined || event === frame.event) listener(frame);
    }
  }

  #sendConnect(): void {
    this.#state = 'authenticating';
    const { token, password } = this.options;
    const auth =
      token || password ? { ...(token ? { token } : {}), ...(password ? { password } : {}) } : undefined;
    const params: ConnectParams = {
      minProtocol: MIN_PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      client: {
        id: this.options.clientId ?? 'cli',
        version: this.options.clientVersion,
        platform: process.platform,
        mode: this.options.mode ?? 'cli',
      },
      role: 'operator',
      scopes: [...(this.options.scopes ?? ALL_SCOPES)],
      ...(auth ? { auth } : {}),
    };
    this.#ws.send(JSON.stringify({ type: 'req', id: this.#connectId, method: 'connect', params }));
  }

  #onHello(frame: Record<string, unknown>): void {
    if (this.#state !== 'authenticating') return;
    if (frame.ok !== true) {
      this.#fail(handshakeError(this.url, wireError(frame.error), this.options.tokenFile));
      return;
    }
    const hello = frame.payload as Partial<HelloOk> | undefined;
    if (hello?.type !== 'hello-ok' || typeof hello.protocol !== 'number') {
      this.#fail(
        new CarapaceError(
          ClientErrorCode.badPeer,
          `${this.url} answered connect without hello-ok: not a gateway?`,
        ),
      );
      return;
    }
    if (hello.protocol < MIN_PROTOCOL_VERSION || hello.protocol > PROTOCOL_VERSION) {
      this.#fail(
        handshakeError(this.url, {
          code: 'INVALID_REQUEST',
          message: 'protocol mismatch',
          details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: hello.protocol },
        }),
      );
      return;
    }
    this.hello = hello as HelloOk;
    this.#startWatchdog(hello.policy?.tickIntervalMs);
    this.#state = 'ready';
    clearTimeout(this.#handshakeTimer);
    this.handshake.resolve();
  }

  #onResponse(id: string, frame: Record<string, unknown>): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    if (frame.ok !== true) {
      this.#settle(id, undefined, requestError(pending.method, wireError(frame.error)));
      return;
    }
    const payload = frame.payload;
    const accepted =
      typeof payload === 'object' &&
      payload !== null &&
      (payload as { status?: unknown }).status === 'accepted';
    if (pending.expectFinal && accepted) {
      pending.onAccepted?.(payload);
      return;
    }
    this.#settle(id, payload);
  }

  #settle(id: string, payload: unknown, err?: Error): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (err) pending.reject(err);
    else pending.resolve(payload);
  }

  /** A failure during the handshake (or a broken peer): reject everything and drop the socket. */
  #fail(err: CarapaceError): void {
    if (this.#state === 'closed') return;
    const wasReady = this.#state === 'ready';
    this.#state = 'closed';
    clearTimeout(this.#handshakeTimer);
    clearInterval(this.#watchdog);
    if (!wasReady) this.handshake.reject(err);
    for (const id of [...this.#pending.keys()]) this.#settle(id, undefined, err);
    this.#ws.terminate();
  }

  /**
   * The gateway sends `tick` every `tickIntervalMs`; a socket silent for twice that is dead even if TCP
   * has not noticed, so waiting calls fail instead of hanging until their timeout.
   */
  #startWatchdog(tickIntervalMs: number | undefined): void {
    if (!tickIntervalMs || tickIntervalMs <= 0) return;
    this.#watchdog = setInterval(() => {
      if (Date.now() - this.#lastFrameAt <= 2 * tickIntervalMs) return;
      this.#fail(
        new CarapaceError(
          ClientErrorCode.closed,
          `the gateway at ${this.url} went silent (no tick for ${2 * tickIntervalMs} ms); the connection was dropped`,
          { details: { url: this.url, tickIntervalMs }, retryable: true },
        ),
      );
    }, tickIntervalMs);
    this.#watchdog.unref();
  }

  #onClose(code: number, reason: string): void {
    clearInterval(this.#watchdog);
    const state = this.#state;
    this.#state = 'closed';
    clearTimeout(this.#handshakeTimer);
    if (state === 'connecting' || state === 'authenticating') {
      this.handshake.reject(closedError(this.url, code, reason, 'the handshake finished'));
    }
    for (const [id, pending] of [...this.#pending]) {
      this.#settle(id, undefined, closedError(this.url, code, reason, `${pending.method} answered`));
    }
    this.#closed.resolve();
  }
}

function wireError(value: unknown): ErrorShape {
  const e = value as Partial<ErrorShape> | undefined;
  return {
    code: typeof e?.code === 'string' ? e.code : 'UNAVAILABLE',
    message: typeof e?.message === 'string' ? e.message : 'error without a message',
    ...(e?.details && typeof e.details === 'object' ? { details: e.details } : {}),
    ...(typeof e?.retryable === 'boolean' ? { retryable: e.retryable } : {}),
    ...(typeof e?.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
  };
}
