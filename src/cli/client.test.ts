import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { CarapaceError } from '../shared/index.js';
import { connectGateway, type GatewayClient } from './client/index.js';

/** A scripted gateway at the network edge: challenge, connect checks, hello-ok and a few methods. */
interface FakeGateway {
  url: string;
  connects: Record<string, unknown>[];
  close(): Promise<void>;
}

interface FakeOptions {
  token?: string;
  protocol?: number;
  challenge?: boolean;
  tickIntervalMs?: number;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

async function fakeGateway(options: FakeOptions = {}): Promise<FakeGateway> {
  const protocol = options.protocol ?? 4;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const connects: Record<string, unknown>[] = [];
  const send = (ws: WebSocket, frame: unknown) => ws.send(JSON.stringify(frame));
  wss.on('connection', (ws) => {
    let authed = false;
    if (options.challenge !== false) {
      send(ws, { type: 'event', event: 'connect.challenge', payload: { nonce: 'n-1', ts: Date.now() } });
    }
    ws.on('message', (raw) => {
      const req = JSON.parse(raw.toString()) as {
        id: string;
        method: string;
        params?: Record<string, unknown>;
      };
      const reply = (ok: boolean, body: unknown) =>
        send(
          ws,
          ok ? { type: 'res', id: req.id, ok, payload: body } : { type: 'res', id: req.id, ok, error: body },
        );
      if (!authed) {
        const p = req.params ?? {};
        connects.push(p);
        if ((p.minProtocol as number) > protocol || (p.maxProtocol as number) < protocol) {
          reply(false, {
            code: 'INVALID_REQUEST',
            message: 'protocol mismatch',
            details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: protocol },
          });
          ws.close(1002, 'protocol mismatch');
          return;
        }
        const auth = p.auth as { token?: string } | undefined;
        if (options.token && !auth?.token) {
          reply(false, { code: 'NOT_PAIRED', message: 'unauthorized', details: { code: 'AUTH_REQUIRED' } });
          ws.close(1008, 'unauthorized');
          return;
        }
        if (options.token && auth?.token !== options.token) {
          reply(false, {
            code: 'INVALID_REQUEST',
            message: 'unauthorized: gateway token mismatch',
            details: { code: 'AUTH_TOKEN_MISMATCH' },
          });
          ws.close(1008, 'unauthorized');
          return;
        }
        authed = true;
        reply(true, {
          type: 'hello-ok',
          protocol,
          server: { version: 'fake', connId: 'c1' },
          features: { methods: ['health', 'agent'], events: ['tick'] },
          snapshot: { presence: [], health: {}, stateVersion: { presence: 0, health: 0 }, uptimeMs: 1 },
          auth: { role: 'operator', scopes: p.scopes, method: 'token' },
          policy: {
            maxPayload: 1024,
            maxBufferedBytes: 1024,
            tickIntervalMs: options.tickIntervalMs ?? 30_000,
          },
        });
        send(ws, { type: 'event', event: 'tick', payload: { ts: 1 }, seq: 1 });
        return;
      }
      switch (req.method) {
        case 'health':
          reply(true, { ok: true, echo: req.params ?? null });
          return;
        case 'agent':
          reply(true, { runId: 'r1', status: 'accepted', acceptedAt: 1 });
          setTimeout(() => reply(true, { runId: 'r1', status: 'ok', summary: 'completed' }), 20);
          return;
        case 'cron.remove':
          reply(false, {
            code: 'INVALID_REQUEST',
            message: 'no cron job with id j9',
            details: { code: 'CRON_JOB_NOT_FOUND', id: 'j9' },
          });
          return;
        case 'emit': {
          let seq = 1;
          for (const event of ['agent', 'chat', 'agent']) {
            send(ws, { type: 'event', event, payload: { n: seq }, seq: ++seq });
          }
          reply(true, { emitted: 3 });
          return;
        }
        case 'shutdown-now':
          ws.close(1012, 'restarting');
          return;
        case 'silent':
          return;
        default:
          reply(false, { code: 'INVALID_REQUEST', message: `unknown method ${req.method}` });
      }
    });
  });
  const port = (wss.address() as AddressInfo).port;
  const gateway = {
    url: `ws://127.0.0.1:${port}`,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  open.push(gateway);
  return gateway;
}

async function connect(url: string, extra: { token?: string; handshakeTimeoutMs?: number } = {}) {
  const client = await connectGateway({ url, clientVersion: '9.9.9', ...extra });
  open.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<CarapaceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CarapaceError);
  return err as CarapaceError;
}

describe('gateway client', () => {
  it('waits for the challenge, sends connect as the CLI with all operator scopes, and calls methods', async () => {
    const gw = await fakeGateway({ token: 'secret' });
    const events: string[] = [];
    const client: GatewayClient = await connectGateway({
      url: gw.url,
      token: 'secret',
      clientVersion: '9.9.9',
      onEvent: (e) => events.push(e.event),
    });
    open.push(client);
    expect(client.hello.type).toBe('hello-ok');
    expect(client.hello.protocol).toBe(4);
    expect(gw.connects[0]).toMatchObject({
      minProtocol: 3,
      maxProtocol: 4,
      client: { id: 'cli', version: '9.9.9', platform: process.platform, mode: 'cli' },
      role: 'operator',
      auth: { token: 'secret' },
    });
    expect(gw.connects[0]?.scopes).toEqual([
      'operator.read',
      'operator.write',
      'operator.admin',
      'operator.approvals',
      'operator.pairing',
    ]);
    expect(await client.call('health', { probe: true })).toEqual({ ok: true, echo: { probe: true } });
    expect(await client.call('health')).toEqual({ ok: true, echo: null });
    expect(events).toContain('tick');
  });

  it('explains a token mismatch and how to fix it', async () => {
    const gw = await fakeGateway({ token: 'secret' });
    const err = await failure(connect(gw.url, { token: 'wrong' }));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.details?.code).toBe('AUTH_TOKEN_MISMATCH');
    expect(err.message).toContain('token mismatch');
    expect(err.message).toContain('--token');
    expect(err.message).toContain('CARAPACE_GATEWAY_TOKEN');
  });

  it('explains that credentials are required when none were sent', async () => {
    const gw = await fakeGateway({ token: 'secret' });
    const err = await failure(connect(gw.url));
    expect(err.code).toBe('NOT_PAIRED');
    expect(err.details?.code).toBe('AUTH_REQUIRED');
    expect(err.message).toContain('requires authentication');
    expect(err.message).toContain('CARAPACE_GATEWAY_TOKEN');
  });

  it('explains a protocol mismatch with both versions', async () => {
    const gw = await fakeGateway({ protocol: 7 });
    const err = await failure(connect(gw.url));
    expect(err.details).toMatchObject({ code: 'PROTOCOL_MISMATCH', expectedProtocol: 7 });
    expect(err.message).toContain('protocol 7');
    expect(err.message).toContain('3..4');
    expect(err.message).toContain('upgrade');
  });

  it('says no gateway is listening when the connection is refused', async () => {
    const gw = await fakeGateway();
    await gw.close();
    const err = await failure(connect(gw.url));
    expect(err.code).toBe('GATEWAY_UNREACHABLE');
    expect(err.message).toBe(`no gateway is listening on ${gw.url}: start one with \`carapace gateway run\``);
  });

  it('with expectFinal waits for the second answer to an accepted request', async () => {
    const gw = await fakeGateway();
    const client = await connect(gw.url);
    const acks: unknown[] = [];
    const final = await client.call(
      'agent',
      { message: 'hi' },
      { expectFinal: true, onAccepted: (p) => acks.push(p) },
    );
    expect(final).toEqual({ runId: 'r1', status: 'ok', summary: 'completed' });
    expect(acks).toEqual([{ runId: 'r1', status: 'accepted', acceptedAt: 1 }]);
    expect(await client.call('agent', { message: 'hi' })).toMatchObject({ status: 'accepted' });
  });

  it('subscribe delivers events (all, or by name) until unsubscribed', async () => {
    const gw = await fakeGateway();
    const client = await connect(gw.url);
    const all: string[] = [];
    const agent: unknown[] = [];
    const stopAll = client.subscribe((e) => all.push(e.event));
    const stopAgent = client.subscribe('agent', (e) => agent.push(e.payload));
    expect(await client.call('emit')).toEqual({ emitted: 3 });
    expect(all).toEqual(['agent', 'chat', 'agent']);
    expect(agent).toEqual([{ n: 1 }, { n: 3 }]);
    stopAgent();
    await client.call('emit');
    expect(agent).toHaveLength(2);
    expect(all).toHaveLength(6);
    stopAll();
    await client.call('emit');
    expect(all).toHaveLength(6);
  });

  it('turns a gateway error into a CarapaceError with the wire code and details', async () => {
    const gw = await fakeGateway();
    const client = await connect(gw.url);
    const err = await failure(client.call('cron.remove', { id: 'j9' }));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.details).toEqual({ code: 'CRON_JOB_NOT_FOUND', id: 'j9' });
    expect(err.message).toBe('cron.remove failed: no cron job with id j9');
  });

  it('reports a close while a call is waiting, in words, with the close code', async () => {
    const gw = await fakeGateway();
    const client = await connect(gw.url);
    const err = await failure(client.call('shutdown-now'));
    expect(err.code).toBe('GATEWAY_CLOSED');
    expect(err.details).toMatchObject({ closeCode: 1012, closeReason: 'restarting' });
    expect(err.message).toContain('restarting');
    expect(err.message).toContain('before shutdown-now answered');
    expect(err.retryable).toBe(true);
    const after = await failure(client.call('health'));
    expect(after.code).toBe('GATEWAY_CLOSED');
  });

  it('gives up on a gateway that never sends the challenge', async () => {
    const gw = await fakeGateway({ challenge: false });
    const err = await failure(connect(gw.url, { handshakeTimeoutMs: 200 }));
    expect(err.code).toBe('GATEWAY_TIMEOUT');
    expect(err.message).toContain('did not complete the handshake');
  });

  it('times out a call that is never answered', async () => {
    const gw = await fakeGateway();
    const client = await connect(gw.url);
    const err = await failure(client.call('silent', undefined, { timeoutMs: 100 }));
    expect(err.code).toBe('GATEWAY_TIMEOUT');
    expect(err.message).toBe('silent got no answer within 100 ms');
  });

  it('drops a connection that stops ticking instead of waiting for the call timeout', async () => {
    const gw = await fakeGateway({ tickIntervalMs: 50 });
    const client = await connect(gw.url);
    const err = await failure(client.call('silent', undefined, { timeoutMs: 60_000 }));
    expect(err.code).toBe('GATEWAY_CLOSED');
    expect(err.message).toContain('went silent');
  });

  it('says when the URL is not a WebSocket gateway', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const err = await failure(connect(url));
    expect(err.code).toBe('GATEWAY_PROTOCOL_ERROR');
    expect(err.message).toContain('HTTP 404');
  });

  it('refuses URLs that are not ws:// or that carry credentials', async () => {
    expect((await failure(connect('ftp://127.0.0.1:1'))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(connect('ws://127.0.0.1:1/?token=x'))).message).toContain('--token');
  });
});
