import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { GatewayRequestError, isConnectionFailure, isUnknownMethod } from './errors.js';
import { GatewayClient, type SocketLike, type StateChange, type Timers } from './gateway-client.js';

/** Timers that fire only when the test says so. */
class ManualTimers implements Timers {
  #next = 0;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fire every pending timer of exactly `ms`. */
  fire(ms: number): number {
    const due = [...this.pending].filter(([, t]) => t.ms === ms);
    for (const [id, t] of due) {
      this.pending.delete(id);
      t.fn();
    }
    return due.length;
  }
}

interface Frame {
  type: string;
  id?: string;
  method?: string;
  params?: Record<string, unknown>;
}

/** A scripted gateway: sends the challenge, answers `connect` with `onConnect`, records frames. */
async function fakeGateway(
  onConnect: (params: Record<string, unknown>) => { ok: boolean; payload?: unknown; error?: unknown },
) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const sockets: WebSocket[] = [];
  const received: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n1', ts: 1 } }));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      received.push(frame);
      for (const w of waiters.splice(0)) {
        if (w.pred(frame)) w.resolve(frame);
        else waiters.push(w);
      }
      if (frame.method === 'connect') {
        const answer = onConnect(frame.params ?? {});
        ws.send(JSON.stringify({ type: 'res', id: frame.id, ...answer }));
        if (!answer.ok) ws.close(1008, 'refused');
      }
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    sockets,
    received,
    next(pred: (f: Frame) => boolean): Promise<Frame> {
      const seen = received.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

const hello = (tickIntervalMs = 30_000) => ({
  type: 'hello-ok',
  protocol: 4,
  server: { version: 't', connId: 'c1' },
  features: { methods: ['health', 'chat.send'], events: ['tick'] },
  snapshot: { presence: [], health: {}, stateVersion: { presence: 0, health: 0 }, uptimeMs: 1 },
  auth: { role: 'operator', scopes: ['operator.admin'], method: 'token' },
  policy: { maxPayload: 1, maxBufferedBytes: 1, tickIntervalMs },
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(url: string, timers: Timers, token = 'secret-token') {
  const c = new GatewayClient({
    url,
    token,
    createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
    timers,
    random: () => 0.5,
  });
  const states: StateChange[] = [];
  c.onState((s) => states.push(s));
  cleanups.push(() => c.stop());
  const reach = (state: string) =>
    new Promise<StateChange>((resolve) => {
      const found = states.find((s) => s.state === state);
      if (found) resolve(found);
      else {
        const off = c.onState((s) => {
          if (s.state === state) {
            off();
            resolve(s);
          }
        });
      }
    });
  return { c, states, reach };
}

describe('GatewayClient', () => {
  it('answers the challenge with connect (token, protocol window, client), then correlates requests and events', async () => {
    const gw = await fakeGateway(() => ({ ok: true, payload: hello() }));
    cleanups.push(gw.close);
    const { c, reach } = client(gw.url, new ManualTimers());
    const events: string[] = [];
    c.onEvent((f) => events.push(f.event));
    c.start();
    await reach('open');
    const connect = await gw.next((f) => f.method === 'connect');
    expect(connect.params).toMatchObject({
      minProtocol: 3,
      maxProtocol: 4,
      auth: { token: 'secret-token' },
      client: { id: 'webchat-ui', mode: 'webchat' },
      role: 'operator',
    });
    expect(c.supports('chat.send')).toBe(true);
    expect(c.supports('cron.list')).toBe(false);

    const pending = c.request('health', { probe: true });
    const req = await gw.next((f) => f.method === 'health');
    expect(req.params).toEqual({ probe: true });
    gw.sockets[0]?.send(JSON.stringify({ type: 'event', event: 'tick', seq: 1, payload: { ts: 2 } }));
    gw.sockets[0]?.send(JSON.stringify({ type: 'res', id: req.id, ok: true, payload: { ok: true } }));
    expect(await pending).toEqual({ ok: true });
    expect(events).toEqual(['tick']);

    const failing = c.request('bogus');
    const bogus = await gw.next((f) => f.method === 'bogus');
    const error = {
      code: 'INVALID_REQUEST',
      message: 'unknown method: bogus',
      details: { code: 'UNKNOWN_METHOD' },
    };
    gw.sockets[0]?.send(JSON.stringify({ type: 'res', id: bogus.id, ok: false, error }));
    const err = await failing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayRequestError);
    expect(isUnknownMethod(err)).toBe(true);
    expect((err as GatewayRequestError).message).toBe('unknown method: bogus');
  });

  it('stops at a refused token and does not retry it', async () => {
    const gw = await fakeGateway(() => ({
      ok: false,
      error: {
        code: 'INVALID_REQUEST',
        message: 'unauthorized: gateway token mismatch',
        details: { code: 'AUTH_TOKEN_MISMATCH' },
      },
    }));
    cleanups.push(gw.close);
    const timers = new ManualTimers();
    const { c, reach } = client(gw.url, timers, 'wrong');
    c.start();
    const s = await reach('unauthorized');
    expect(s.message).toContain('token mismatch');
    expect(timers.pending.size).toBe(0); // no reconnect scheduled
    await expect(c.request('health')).rejects.toSatisfy(isConnectionFailure);
  });

  it('reconnects after the connection drops, failing what was in flight, and hands out hello again', async () => {
    let connects = 0;
    const gw = await fakeGateway(() => {
      connects++;
      return { ok: true, payload: hello() };
    });
    cleanups.push(gw.close);
    const timers = new ManualTimers();
    const { c, reach, states } = client(gw.url, timers);
    let hellos = 0;
    c.onHello(() => hellos++);
    c.start();
    await reach('open');
    const inFlight = c.request('health');
    await gw.next((f) => f.method === 'health');
    gw.sockets[0]?.close(1012, 'gateway stopping');
    const lost = await reach('reconnecting');
    expect(lost.message).toContain('gateway stopping');
    expect(lost.retryInMs).toBe(backoffDelay(0, DEFAULT_BACKOFF, () => 0.5));
    await expect(inFlight).rejects.toSatisfy(isConnectionFailure);
    states.length = 0;
    expect(timers.fire(lost.retryInMs ?? -1)).toBe(1);
    await reach('open');
    expect(connects).toBe(2);
    expect(hellos).toBe(2);
  });

  it('drops a gateway that stops ticking and reconnects', async () => {
    const gw = await fakeGateway(() => ({ ok: true, payload: hello(1000) }));
    cleanups.push(gw.close);
    const timers = new ManualTimers();
    let now = 0;
    const c = new GatewayClient({
      url: gw.url,
      createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
      timers,
      now: () => now,
      random: () => 0,
    });
    cleanups.push(() => c.stop());
    const states: string[] = [];
    c.onState((s) => states.push(s.state));
    const opened = new Promise<void>((r) => c.onHello(() => r()));
    c.start();
    await opened;
    now += 2000;
    expect(timers.fire(2000)).toBe(1); // the watchdog: two tick intervals of silence
    expect(states.at(-1)).toBe('reconnecting');
  });
});

describe('backoffDelay', () => {
  it('doubles up to the cap, with jitter between half and all of it', () => {
    const p = { initialMs: 100, maxMs: 1000, factor: 2 };
    expect(backoffDelay(0, p, () => 0)).toBe(50);
    expect(backoffDelay(0, p, () => 0.999999)).toBe(100);
    expect(backoffDelay(3, p, () => 1)).toBe(800);
    expect(backoffDelay(10, p, () => 1)).toBe(1000);
    expect(backoffDelay(10, p, () => 0)).toBe(500);
  });
});
