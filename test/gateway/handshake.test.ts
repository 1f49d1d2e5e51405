import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileValidator, HelloOkSchema } from '../../src/protocol/index.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/ws-client.js';

let h: Harness;
beforeAll(async () => {
  h = await startGateway({ gateway: { handshakeTimeoutMs: 400 } });
});
afterAll(() => h.cleanup());

describe('handshake (PROTOCOL.md)', () => {
  it('sends connect.challenge first, with a nonce, a timestamp and no seq', async () => {
    const c = await TestClient.open(h.url);
    const challenge = await c.waitFor((f) => f.type === 'event');
    expect(challenge.event).toBe('connect.challenge');
    const payload = challenge.payload as { nonce: string; ts: number };
    expect(payload.nonce.length).toBeGreaterThan(8);
    expect(Math.abs(payload.ts - Date.now())).toBeLessThan(60_000);
    expect(challenge.seq).toBeUndefined();
    c.close();
  });

  it('answers a valid connect with hello-ok matching the schema', async () => {
    const c = await TestClient.open(h.url);
    const res = await c.connect({ token: h.token });
    expect(res.ok).toBe(true);
    const hello = res.payload as Record<string, unknown>;
    expect(compileValidator(HelloOkSchema).issues(hello)).toEqual([]);
    expect(hello).toMatchObject({
      type: 'hello-ok',
      protocol: 4,
      auth: { role: 'operator', method: 'token' },
      policy: { maxPayload: 25 * 1024 * 1024, maxBufferedBytes: 50 * 1024 * 1024, tickIntervalMs: 30_000 },
    });
    const features = hello.features as { methods: string[]; events: string[] };
    expect(features.methods).toEqual(expect.arrayContaining(['health', 'status', 'config.get', 'logs.tail']));
    expect(features.events).toEqual(expect.arrayContaining(['tick', 'shutdown', 'presence']));
    expect((hello.auth as { scopes: string[] }).scopes).toContain('operator.admin');
    c.close();
  });

  it('negotiates protocol 3 for a client whose window ends at 3', async () => {
    const c = await TestClient.open(h.url);
    const res = await c.connect({ token: h.token, minProtocol: 2, maxProtocol: 3 });
    expect((res.payload as { protocol: number }).protocol).toBe(3);
    c.close();
  });

  it('refuses a wrong token: INVALID_REQUEST / AUTH_TOKEN_MISMATCH, close 1008', async () => {
    const c = await TestClient.open(h.url);
    const res = await c.connect({ token: `${h.token}x` });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe('INVALID_REQUEST');
    expect(res.error?.message).toMatch(/^unauthorized: gateway token mismatch/);
    expect(res.error?.details?.code).toBe('AUTH_TOKEN_MISMATCH');
    expect((await c.closed).code).toBe(1008);
  });

  it('refuses a connect without credentials: NOT_PAIRED / AUTH_REQUIRED, close 1008', async () => {
    const c = await TestClient.open(h.url);
    const res = await c.connect({});
    expect(res.error?.code).toBe('NOT_PAIRED');
    expect(res.error?.details?.code).toBe('AUTH_REQUIRED');
    expect((await c.closed).code).toBe(1008);
  });

  it('refuses a protocol window outside 3..4: PROTOCOL_MISMATCH, close 1002', async () => {
    for (const [min, max] of [
      [5, 6],
      [1, 2],
    ]) {
      const c = await TestClient.open(h.url);
      const res = await c.connect({ token: h.token, minProtocol: min, maxProtocol: max });
      expect(res.error).toMatchObject({
        code: 'INVALID_REQUEST',
        message: 'protocol mismatch',
        details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: 4 },
      });
      expect((await c.closed).code).toBe(1002);
    }
  });

  it('refuses a first request that is not connect, close 1008', async () => {
    const c = await TestClient.open(h.url);
    await c.waitFor((f) => f.event === 'connect.challenge');
    const res = await c.request('health');
    expect(res.error?.code).toBe('INVALID_REQUEST');
    expect(res.error?.message).toBe('invalid handshake: first request must be connect');
    expect((await c.closed).code).toBe(1008);
  });

  it('closes with 1000 and no answer when the first frame is not JSON', async () => {
    const c = await TestClient.open(h.url);
    await c.waitFor((f) => f.event === 'connect.challenge');
    c.send('{"type":"req",');
    expect((await c.closed).code).toBe(1000);
    expect(c.frames.filter((f) => f.type === 'res')).toEqual([]);
  });

  it('names the path of a bad connect param', async () => {
    const c = await TestClient.open(h.url);
    await c.waitFor((f) => f.event === 'connect.challenge');
    const res = await c.request('connect', {
      minProtocol: 3,
      maxProtocol: 4,
      client: { id: 'cli' },
      extra: 1,
    });
    expect(res.error?.message).toContain("at root: unexpected property 'extra'");
    expect(res.error?.message).toContain("at /client: missing required property 'version'");
    expect((await c.closed).code).toBe(1008);
  });

  it('closes a socket that never sends connect after the handshake timeout (1008)', async () => {
    const c = await TestClient.open(h.url);
    const closed = await c.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/handshake timeout/);
  });

  it('closes a pre-auth frame over 64 KiB with 1009', async () => {
    const c = await TestClient.open(h.url);
    await c.waitFor((f) => f.event === 'connect.challenge');
    c.send(
      JSON.stringify({ type: 'req', id: 'x', method: 'connect', params: { pad: 'a'.repeat(64 * 1024) } }),
    );
    expect((await c.closed).code).toBe(1009);
  });

  it('accepts a frame of exactly 64 KiB before auth (answered, not closed for size)', async () => {
    const c = await TestClient.open(h.url);
    await c.waitFor((f) => f.event === 'connect.challenge');
    const base = JSON.stringify({ type: 'req', id: 'x', method: 'nope', params: { pad: '' } });
    c.send(
      JSON.stringify({
        type: 'req',
        id: 'x',
        method: 'nope',
        params: { pad: 'a'.repeat(64 * 1024 - base.length) },
      }),
    );
    const res = await c.waitFor((f) => f.type === 'res');
    expect(res.error?.message).toBe('invalid handshake: first request must be connect');
    expect((await c.closed).code).toBe(1008);
  });

  it('accepts the client ids and modes OpenClaw clients send', async () => {
    for (const [clientId, mode] of [
      ['cli', 'cli'],
      ['gateway-client', 'backend'],
      ['openclaw-control-ui', 'ui'],
      ['webchat-ui', 'webchat'],
      ['node-host', 'node'],
    ] as const) {
      const c = await TestClient.open(h.url);
      const res = await c.connect({ token: h.token, clientId, mode });
      expect(res.ok, `${clientId}/${mode}`).toBe(true);
      c.close();
    }
  });
});
