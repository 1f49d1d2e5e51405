import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ClientInfo, ErrorShape, StateVersion } from '../protocol/index.js';
import { CloseCode } from '../protocol/index.js';
import type { CallerInfo } from './registry.js';

/** Frames up to this many characters are batched with their neighbours. */
const CORK_MAX_FRAME = 16 * 1024;

export type ConnectionPhase = 'handshake' | 'open' | 'closed';

/**
 * One WebSocket client. Owns the per-connection event `seq` (from 1, no gaps), the slow-consumer cutoff,
 * and the requests in flight so a closed socket aborts their handlers.
 */
export class Connection {
  phase: ConnectionPhase = 'handshake';
  client: ClientInfo | undefined;
  role = 'operator';
  scopes: string[] = [];
  authMethod = 'none';
  connectedAt = 0;
  /** Which secret authenticated this connection (so a rotation can close it). */
  secretGeneration = 0;
  readonly inFlight = new Set<string>();
  readonly abort = new AbortController();
  #seq = 0;
  /** The socket while its writes are held (see `#cork`). */
  #corked: Duplex | undefined;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    readonly origin: string | undefined,
    private readonly maxBufferedBytes: () => number,
    private readonly onSlowConsumer: (conn: Connection) => void,
    /** Called for every frame written (metrics). */
    private readonly onFrameSent?: () => void,
    /** Serializes a frame with no registered secret in it (the redactor). */
    private readonly serialize: (frame: unknown) => string = JSON.stringify,
  ) {}

  get caller(): CallerInfo {
    return {
      connId: this.id,
      clientId: this.client?.id ?? 'unknown',
      clientMode: this.client?.mode ?? 'unknown',
      role: this.role,
      scopes: this.scopes,
      remoteAddress: this.remoteAddress,
    };
  }

  get isOpen(): boolean {
    return this.phase !== 'closed' && this.ws.readyState === this.ws.OPEN;
  }

  /** Send a response frame. */
  respond(id: string, ok: true, payload: unknown): void;
  respond(id: string, ok: false, error: ErrorShape): void;
  respond(id: string, ok: boolean, body: unknown): void {
    this.#write(ok ? { type: 'res', id, ok, payload: body } : { type: 'res', id, ok, error: body });
  }

  /** Send an event; counted in `seq` unless `unsequenced` (the challenge has none). */
  event(event: string, payload: unknown, stateVersion?: StateVersion, unsequenced = false): void {
    if (!this.isOpen) return;
    const frame: Record<string, unknown> = { type: 'event', event, payload };
    if (!unsequenced) frame.seq = ++this.#seq;
    if (stateVersion) frame.stateVersion = stateVersion;
    this.#write(frame);
  }

  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.abort.abort(new Error(reason || 'connection closed'));
    if (code === CloseCode.policyViolation && reason.startsWith('slow consumer')) {
      // Its send buffer is full: a close frame would wait behind it. Drop the socket now.
      this.ws.terminate();
      return;
    }
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
  }

  #write(frame: unknown): void {
    if (!this.isOpen) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes()) {
      this.onSlowConsumer(this);
      return;
    }
    const text = this.serialize(frame);
    // Small frames wait for the burst they belong to; a big one goes out at once (with what is held).
    if (text.length <= CORK_MAX_FRAME) this.#cork();
    else this.#uncork();
    this.ws.send(text);
    this.onFrameSent?.();
  }

  /**
   * Hold this connection's writes until the event loop's next check phase, so the frames of one burst (a
   * turn's events, a response) leave in one write instead of one system call each.
   */
  #cork(): void {
    if (this.#corked) return;
    // ws keeps its net.Socket in `_socket`; corking it only batches writes, framing is untouched.
    const socket = (this.ws as unknown as { _socket?: Duplex })._socket;
    if (!socket || typeof socket.cork !== 'function') return;
    socket.cork();
    this.#corked = socket;
    setImmediate(() => this.#uncork());
  }

  #uncork(): void {
    const socket = this.#corked;
    if (!socket) return;
    this.#corked = undefined;
    socket.uncork();
  }
}
