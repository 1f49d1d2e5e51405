import type { ConnectParams, EventFrame, HelloOk, ResponseFrame } from '../protocol.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../protocol.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { GatewayRequestError, LocalCode } from './errors.js';

/** The part of a browser `WebSocket` the client uses (the `ws` package's WebSocket fits too). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Timers as a port, so tests can drive reconnects without waiting. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * - `connecting`: opening the socket or waiting for hello-ok;
 * - `open`: authenticated, requests flow;
 * - `reconnecting`: lost, waiting for the next attempt (`retryInMs`);
 * - `unauthorized`: the gateway refused the secret (no retries until new credentials);
 * - `failed`: the gateway cannot talk to this client (protocol mismatch), no retries;
 * - `stopped`: `stop()` was called.
 */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'unauthorized'
  | 'failed'
  | 'stopped';

export interface StateChange {
  state: ConnectionState;
  /** Why the last attempt failed or the connection was lost, for people. */
  message?: string;
  retryInMs?: number;
}

export interface GatewayClientOptions {
  /** `ws://host:port/` of the gateway. */
  url: string;
  token?: string | undefined;
  password?: string | undefined;
  createSocket: (url: string) => SocketLike;
  /** Overrides of the `client` block of `connect`. */
  client?: Partial<ConnectParams['client']>;
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  backoff?: BackoffPolicy;
  /** A request without an answer after this long fails with TIMEOUT. Default 60 s. */
  requestTimeoutMs?: number;
}

interface Pending {
  resolve(payload: unknown): void;
  reject(err: GatewayRequestError): void;
  timer: unknown;
}

type Listener<T> = (value: T) => void;

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Detail codes after which retrying with the same secret is pointless. */
const AUTH_FAILURES = new Set([
  'AUTH_TOKEN_MISMATCH',
  'AUTH_PASSWORD_MISMATCH',
  'AUTH_REQUIRED',
  'DEVICE_IDENTITY_REQUIRED',
  'ORIGIN_NOT_ALLOWED',
]);

/**
 * A client of the gateway's WebSocket protocol (PROTOCOL.md): waits for `connect.challenge`, sends
 * `connect`, correlates requests with responses, hands events to listeners, drops a socket that stops
 * ticking, and reconnects by itself with backoff and jitter until `stop()` or a refused secret.
 */
export class GatewayClient {
  #state: ConnectionState = 'idle';
  #socket: SocketLike | undefined;
  #hello: HelloOk | undefined;
  #pending = new Map<string, Pending>();
  #nextId = 0;
  #attempt = 0;
  #retryTimer: unknown;
  #watchdog: unknown;
  #lastFrameAt = 0;
  #closeMessage: string | undefined;
  #minDelayMs = 0;
  readonly #events = new Set<Listener<EventFrame>>();
  readonly #states = new Set<Listener<StateChange>>();
  readonly #hellos = new Set<Listener<HelloOk>>();
  readonly #timers: Timers;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(private readonly options: GatewayClientOptions) {
    this.#timers = options.timers ?? defaultTimers;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  get state(): ConnectionState {
    return this.#state;
  }
  /** The last hello-ok (kept while reconnecting). */
  get hello(): HelloOk | undefined {
    return this.#hello;
  }
  get url(): string {
    return this.options.url;
  }

  /** True when the gateway lists `method` in `features.methods`. */
  supports(method: string): boolean {
    return this.#hello?.features.methods.includes(method) ?? false;
  }

  onEvent(fn: Listener<EventFrame>): () => void {
    this.#events.add(fn);
    return () => this.#events.delete(fn);
  }
  onState(fn: Listener<StateChange>): () => void {
    this.#states.add(fn);
    return () => this.#states.delete(fn);
  }
  /** Called after every successful handshake (the first and each reconnect). */
  onHello(fn: Listener<HelloOk>): () => void {
    this.#hellos.add(fn);
    return () => this.#hellos.delete(fn);
  }

  start(): void {
    if (this.#state !== 'idle' && this.#state !== 'stopped') return;
    this.#open();
  }

  stop(): void {
    this.#setState({ state: 'stopped' });
    this.#timers.clearTimeout(this.#retryTimer);
    this.#timers.clearTimeout(this.#watchdog);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#failPending(LocalCode.connectionLost, 'the client was stopped');
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'client stopped');
    }
  }

  /** Skip the wait of a pending reconnect and try now. */
  reconnectNow(): void {
    if (this.#state !== 'reconnecting') return;
    this.#timers.clearTimeout(this.#retryTimer);
    this.#open();
  }

  /** Send a request; resolves with the payload of an ok response, rejects with GatewayRequestError. */
  request<T = unknown>(method: string, params?: unknown): Promise<T> {
    const socket = this.#socket;
    if (this.#state !== 'open' || !socket) {
      return Promise.reject(
        new GatewayRequestError({ code: LocalCode.notConnected, message: 'not connected to the gateway' }),
      );
    }
    const id = `web-${++this.#nextId}`;
    return new Promise<T>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        this.#pending.delete(id);
        reject(new GatewayRequestError({ code: LocalCode.timeout, message: `${method}: no answer in time` }));
      }, this.options.requestTimeoutMs ?? 60_000);
      this.#pending.set(id, { resolve: resolve as (p: unknown) => void, reject, timer });
      const frame = params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params };
      socket.send(JSON.stringify(frame));
    });
  }

  #setState(change: StateChange): void {
    this.#state = change.state;
    for (const fn of this.#states) fn(change);
  }

  #open(): void {
    this.#setState({ state: 'connecting' });
    this.#closeMessage = undefined;
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch (err) {
      this.#setState({
        state: 'failed',
        message: `cannot open ${this.options.url}: ${(err as Error).message}`,
      });
      return;
    }
    this.#socket = socket;
    this.#lastFrameAt = this.#now();
    socket.onmessage = (ev) => this.#onMessage(socket, ev.data);
    socket.onclose = (ev) => this.#onClose(socket, ev.code, ev.reason);
    socket.onerror = () => undefined; // a close follows; its code says more than the error event
  }

  #onMessage(socket: SocketLike, data: unknown): void {
    if (socket !== this.#socket) return;
    this.#lastFrameAt = this.#now();
    let frame: { type?: unknown; event?: unknown; id?: unknown };
    try {
      frame = JSON.parse(String(data)) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === 'event') {
      const ev = frame as EventFrame;
      if (ev.event === 'connect.challenge') this.#sendConnect(socket);
      else for (const fn of this.#events) fn(ev);
    } else if (frame.type === 'res') this.#onResponse(frame as ResponseFrame);
  }

  #sendConnect(socket: SocketLike): void {
    const auth: NonNullable<ConnectParams['auth']> = {};
    if (this.options.token) auth.token = this.options.token;
    if (this.options.password) auth.password = this.options.password;
    const params: ConnectParams = {
      minProtocol: MIN_PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      client: { id: 'webchat-ui', version: '1', platform: 'web', mode: 'webchat', ...this.options.client },
      role: 'operator',
      scopes: ['operator.admin', 'operator.approvals', 'operator.pairing'],
      ...(Object.keys(auth).length ? { auth } : {}),
    };
    socket.send(JSON.stringify({ type: 'req', id: 'connect', method: 'connect', params }));
  }

  #onResponse(frame: ResponseFrame): void {
    if (frame.id === 'connect') {
      if (frame.ok) this.#onHello(frame.payload as HelloOk);
      else this.#onRefused(new GatewayRequestError(frame.error ?? { code: 'UNKNOWN', message: 'refused' }));
      return;
    }
    const pending = this.#pending.get(frame.id);
    if (!pending) return;
    // `agent` answers its id twice (ack, then final); this client resolves on the first answer.
    this.#pending.delete(frame.id);
    this.#timers.clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.payload);
    else
      pending.reject(new GatewayRequestError(frame.error ?? { code: 'UNKNOWN', message: 'request failed' }));
  }

  #onHello(hello: HelloOk): void {
    this.#hello = hello;
    this.#attempt = 0;
    this.#setState({ state: 'open' });
    this.#armWatchdog(hello.policy.tickIntervalMs);
    for (const fn of this.#hellos) fn(hello);
  }

  #onRefused(err: GatewayRequestError): void {
    if (AUTH_FAILURES.has(err.reason) || err.code === 'NOT_PAIRED') {
      this.#setState({ state: 'unauthorized', message: err.message });
    } else if (err.reason === 'PROTOCOL_MISMATCH') {
      this.#setState({ state: 'failed', message: `the gateway speaks another protocol: ${err.message}` });
    } else {
      // Rate limited or a transient refusal: the close that follows schedules the retry.
      this.#closeMessage = err.message;
      this.#minDelayMs = err.retryAfterMs ?? 0;
    }
    const socket = this.#socket;
    if (this.#state === 'unauthorized' || this.#state === 'failed') {
      this.#socket = undefined;
      if (socket) {
        socket.onclose = null;
        socket.close(1000, 'refused');
      }
    }
  }

  /** Drop a socket that stays silent for two tick intervals (the gateway ticks every interval). */
  #armWatchdog(tickIntervalMs: number): void {
    this.#timers.clearTimeout(this.#watchdog);
    const limit = Math.max(1000, tickIntervalMs * 2);
    this.#watchdog = this.#timers.setTimeout(() => {
      if (this.#state !== 'open' || !this.#socket) return;
      if (this.#now() - this.#lastFrameAt >= limit) {
        this.#closeMessage = 'the gateway stopped answering';
        this.#socket.close(4000, 'silent gateway');
        this.#onClose(this.#socket, 4000, 'silent gateway');
      } else this.#armWatchdog(tickIntervalMs);
    }, limit);
  }

  #onClose(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    socket.onclose = null;
    socket.onmessage = null;
    this.#socket = undefined;
    this.#timers.clearTimeout(this.#watchdog);
    this.#failPending(LocalCode.connectionLost, 'the connection to the gateway was lost');
    if (this.#state === 'stopped' || this.#state === 'unauthorized' || this.#state === 'failed') return;
    const delay = Math.max(
      this.#minDelayMs,
      backoffDelay(this.#attempt++, this.options.backoff ?? DEFAULT_BACKOFF, this.#random),
    );
    this.#minDelayMs = 0;
    const message = this.#closeMessage ?? (reason ? `${reason} (${code})` : `connection closed (${code})`);
    this.#setState({ state: 'reconnecting', message, retryInMs: delay });
    this.#retryTimer = this.#timers.setTimeout(() => {
      if (this.#state === 'reconnecting') this.#open();
    }, delay);
  }

  #failPending(code: string, message: string): void {
    for (const [id, p] of this.#pending) {
      this.#timers.clearTimeout(p.timer);
      p.reject(new GatewayRequestError({ code, message }));
      this.#pending.delete(id);
    }
  }
}
