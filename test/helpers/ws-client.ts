import WebSocket from 'ws';

export interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown>; retryAfterMs?: number };
  event?: string;
  seq?: number;
  stateVersion?: { presence: number; health: number };
}

export interface ConnectOptions {
  token?: string | undefined;
  password?: string | undefined;
  clientId?: string;
  mode?: string;
  scopes?: string[];
  minProtocol?: number;
  maxProtocol?: number;
  origin?: string;
  role?: string;
}

/**
 * A plain `ws` client for tests: records every frame, answers nothing by itself, and offers waits.
 * It speaks the wire protocol directly so tests see exactly what a real client would.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  #waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  #n = 0;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    this.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.pred(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => undefined);
  }

  static async open(url: string, headers?: Record<string, string>): Promise<TestClient> {
    const c = new TestClient(url, headers);
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      c.ws.once('error', reject);
    });
    return c;
  }

  /** Resolve with the first recorded or future frame matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
      this.#waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Send a request and wait for the (first) response with its id. */
  async request(method: string, params?: unknown, id = `r${++this.#n}`): Promise<Frame> {
    const frame: Record<string, unknown> = { type: 'req', id, method };
    if (params !== undefined) frame.params = params;
    const res = this.waitFor((f) => f.type === 'res' && f.id === id);
    this.send(frame);
    return res;
  }

  /** Wait for the challenge, send connect, return the connect response. */
  async connect(opts: ConnectOptions = {}): Promise<Frame> {
    await this.waitFor((f) => f.event === 'connect.challenge');
    const params: Record<string, unknown> = {
      minProtocol: opts.minProtocol ?? 3,
      maxProtocol: opts.maxProtocol ?? 4,
      client: { id: opts.clientId ?? 'test', version: '1.0.0', platform: 'linux', mode: opts.mode ?? 'test' },
    };
    if (opts.role) params.role = opts.role;
    if (opts.scopes) params.scopes = opts.scopes;
    if (opts.token !== undefined) params.auth = { token: opts.token };
    if (opts.password !== undefined) params.auth = { password: opts.password };
    return this.request('connect', params, 'connect-1');
  }

  events(name?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'event' && (name === undefined || f.event === name));
  }

  close(): void {
    this.ws.close();
  }
}

/** Open, connect with the token, and fail loudly if the handshake does not succeed. */
export async function connectedClient(url: string, token: string | undefined, opts: ConnectOptions = {}) {
  const client = await TestClient.open(url, opts.origin ? { origin: opts.origin } : {});
  const res = await client.connect({ token, ...opts });
  if (!res.ok) throw new Error(`connect failed: ${JSON.stringify(res.error)}`);
  return client;
}
