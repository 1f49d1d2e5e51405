/**
 * SEC-01 (quick size): the unauthenticated access matrix. Every WebSocket method of METHOD_SPECS × 15 ways
 * of not having (or not proving) the credential, and every HTTP API route × 11 such ways. Pass bar: no
 * handler entered (a counter wrapped around every registered handler stays 0), no event but the challenge
 * on an unauthenticated socket, no side effect (no model call, no hook run), and the public probes reveal
 * only their bounded fields. A control client with the token does enter the handlers (the counter works).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { METHOD_SPECS } from '../../src/protocol/index.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';
import { fakeModelConfig } from './support.js';

const HOOK_TOKEN = `sec01-hook-${randomBytes(12).toString('hex')}`;
let h: Harness;
let fake: FakeModelServer;
let token: string;
const entered = new Map<string, number>();
let ticker: NodeJS.Timeout | undefined;

interface Probe {
  name: string;
  headers?: Record<string, string>;
  query?: string;
  /** The frames to send: `connect` params (undefined: no connect at all), then the method call. */
  connect?: Record<string, unknown>;
}

const client = { id: 'sec01', version: '1.0.0', platform: 'linux', mode: 'test' };
const connect = (extra: Record<string, unknown>) => ({ minProtocol: 3, maxProtocol: 4, client, ...extra });
const device = (over: Record<string, unknown>) => ({
  device: {
    id: 'dev-1',
    publicKey: 'cHVibGljLWtleQ',
    signature: randomBytes(64).toString('base64url'),
    signedAt: Date.now(),
    nonce: 'nonce-of-another-connection',
    ...over,
  },
});

function probes(replayedNonce: string): Probe[] {
  const wrong = randomBytes(Buffer.byteLength(token)).toString('base64url').slice(0, token.length);
  return [
    { name: 'no credentials', connect: connect({}) },
    { name: 'empty token', connect: connect({ auth: { token: '' } }) },
    { name: '"undefined"', connect: connect({ auth: { token: 'undefined' } }) },
    { name: '"null"', connect: connect({ auth: { token: 'null' } }) },
    { name: 'wrong token of the same length', connect: connect({ auth: { token: wrong } }) },
    { name: 'correct prefix', connect: connect({ auth: { token: `${token.slice(0, -4)}AAAA` } }) },
    { name: 'token only in ?token=', query: `?token=${encodeURIComponent(token)}`, connect: connect({}) },
    {
      name: 'expired device token',
      connect: connect({ auth: { deviceToken: randomBytes(24).toString('hex') } }),
    },
    { name: 'signature over another nonce', connect: connect(device({})) },
    { name: 'replayed nonce', connect: connect(device({ nonce: replayedNonce })) },
    { name: 'signedAt -121 s', connect: connect(device({ signedAt: Date.now() - 121_000 })) },
    {
      name: 'self-declared operator.admin',
      connect: connect({ role: 'operator', scopes: ['operator.admin'] }),
    },
    {
      name: 'forwarded-for from a loopback proxy',
      headers: { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1' },
      connect: connect({ auth: { token: wrong } }),
    },
    { name: 'no connect frame at all' },
    // Authenticated, but as a node declaring admin scopes: it gets no operator scope at all.
    {
      name: 'the token as role node claiming admin',
      connect: connect({ role: 'node', scopes: ['operator.admin'], auth: { token: 'TOKEN' } }),
    },
  ];
}

/** Open a socket, send the probe's connect (pipelined) and the method call; collect what comes back. */
function attempt(
  p: Probe,
  method: string,
): Promise<{ frames: { type?: string; id?: string; ok?: boolean; event?: string }[]; upgrade?: number }> {
  return new Promise((resolve) => {
    const frames: { type?: string; id?: string; ok?: boolean; event?: string }[] = [];
    const ws = new WebSocket(`${h.url}/${p.query ?? ''}`, {
      headers: p.headers ?? {},
      perMessageDeflate: false,
    });
    const done = (upgrade?: number) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(upgrade === undefined ? { frames } : { frames, upgrade });
    };
    const timer = setTimeout(() => done(), 1500);
    ws.on('unexpected-response', (_req, res) => done(res.statusCode));
    ws.on('error', () => done());
    ws.on('close', () => done());
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type?: string; id?: string; event?: string };
      frames.push(f);
      if (f.type === 'res' && f.id === 'm') done();
    });
    ws.on('open', () => {
      if (p.connect) {
        const params = JSON.parse(JSON.stringify(p.connect).replace('"TOKEN"', JSON.stringify(token)));
        ws.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params }));
      }
      ws.send(JSON.stringify({ type: 'req', id: 'm', method, params: {} }));
    });
  });
}

beforeAll(async () => {
  fake = await startFakeModelServer();
  h = await startGateway({
    ...fakeModelConfig(fake),
    gateway: {
      // No lockout here: every variant must be refused for what it is (SEC-03 tests the lockout).
      auth: { rateLimit: { maxFailures: 1_000_000 } },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    },
    hooks: { enabled: true, token: HOOK_TOKEN },
  });
  token = h.token!;
  for (const name of h.gateway.registry.names()) {
    const m = h.gateway.registry.get(name)!;
    const original = m.handler;
    m.handler = ((params: never, ctx: never) => {
      entered.set(name, (entered.get(name) ?? 0) + 1);
      return (original as (p: never, c: never) => unknown)(params, ctx);
    }) as typeof m.handler;
  }
  // Keep events flowing to authenticated sockets the whole time.
  const watcher = await connectedClient(h.url, token);
  ticker = setInterval(() => h.gateway.broadcast('tick', { ts: Date.now() }), 5);
  afterAll(() => watcher.close());
});

afterAll(async () => {
  clearInterval(ticker);
  await h?.cleanup();
  await fake?.close();
});

describe('SEC-01 unauthenticated access matrix', () => {
  it('every method × 15 credential variants: refused before any handler, no events', async () => {
    const methods = Object.keys(METHOD_SPECS);
    expect(methods.length).toBeGreaterThanOrEqual(35);
    expect(new Set(h.gateway.registry.names())).toEqual(new Set(methods));
    const first = await attempt({ name: 'nonce', connect: connect({}) }, 'health');
    const nonce = (
      first.frames.find((f) => f.event === 'connect.challenge') as { payload?: { nonce?: string } }
    )?.payload?.nonce;
    expect(nonce).toBeTruthy();
    const list = probes(nonce!);
    expect(list).toHaveLength(15);
    const modelCalls = fake.requests.length;
    const accepted: string[] = [];
    const leakedEvents: string[] = [];
    let refusedAtUpgrade = 0;
    let total = 0;
    for (const p of list) {
      for (let i = 0; i < methods.length; i += 16) {
        const batch = methods.slice(i, i + 16);
        const results = await Promise.all(batch.map((m) => attempt(p, m)));
        results.forEach((r, k) => {
          total++;
          if (r.upgrade) refusedAtUpgrade++;
          const res = r.frames.find((f) => f.type === 'res' && f.id === 'm');
          if (res?.ok) accepted.push(`${p.name} → ${batch[k]}`);
          for (const f of r.frames) {
            // The node connection is authenticated (liveness ticks reach it); nothing else may.
            const allowed =
              f.event === 'connect.challenge' || (p.name.includes('role node') && f.event === 'tick');
            if (f.type === 'event' && !allowed) leakedEvents.push(`${p.name}: ${f.event}`);
          }
        });
      }
    }
    expect(total).toBe(list.length * methods.length);
    expect(accepted).toEqual([]);
    expect(leakedEvents).toEqual([]);
    expect([...entered.entries()]).toEqual([]);
    expect(refusedAtUpgrade).toBe(methods.length); // the ?token= variant never gets a socket
    expect(fake.requests.length).toBe(modelCalls);

    // Control: with the token, the same counter sees the handler.
    const c = await connectedClient(h.url, token);
    expect((await c.request('health', {})).ok).toBe(true);
    expect(entered.get('health')).toBe(1);
    c.close();
  }, 120_000);

  it('every HTTP API route × 11 credential variants: refused, nothing run; the probes reveal only their fields', async () => {
    const base = `http://127.0.0.1:${h.gateway.port}`;
    const wrong = 'x'.repeat(token.length);
    const routes: [string, string, unknown][] = [
      ['GET', '/v1/models', undefined],
      ['POST', '/v1/chat/completions', { model: 'carapace', messages: [{ role: 'user', content: 'hi' }] }],
      ['POST', '/hooks/wake', { text: 'wake up' }],
      ['POST', '/hooks/agent', { message: 'do something' }],
      ['GET', '/metrics', undefined],
    ];
    const hooks = (path: string) => path.startsWith('/hooks/');
    const variants: [string, (path: string) => { headers: Record<string, string>; query?: string }][] = [
      ['none', () => ({ headers: {} })],
      ['empty bearer', () => ({ headers: { authorization: 'Bearer ' } })],
      ['"undefined"', () => ({ headers: { authorization: 'Bearer undefined' } })],
      ['"null"', () => ({ headers: { authorization: 'Bearer null' } })],
      ['wrong same length', () => ({ headers: { authorization: `Bearer ${wrong}` } })],
      [
        'correct prefix',
        (p) => ({ headers: { authorization: `Bearer ${(hooks(p) ? HOOK_TOKEN : token).slice(0, -3)}zzz` } }),
      ],
      [
        'only in ?token=',
        (p) => ({ headers: {}, query: `?token=${encodeURIComponent(hooks(p) ? HOOK_TOKEN : token)}` }),
      ],
      // The other listener's valid token: the gateway token on hooks, the hook token on the API.
      [
        'the other valid token',
        (p) => ({ headers: { authorization: `Bearer ${hooks(p) ? token : HOOK_TOKEN}` } }),
      ],
      [
        'forwarded-for loopback',
        () => ({ headers: { 'x-forwarded-for': '127.0.0.1', authorization: `Bearer ${wrong}` } }),
      ],
      [
        'basic auth',
        (p) => ({
          headers: {
            authorization: `Basic ${Buffer.from(`x:${hooks(p) ? HOOK_TOKEN : token}`).toString('base64')}`,
          },
        }),
      ],
      ['cookie', (p) => ({ headers: { cookie: `token=${hooks(p) ? HOOK_TOKEN : token}` } })],
    ];
    const modelCalls = fake.requests.length;
    const accepted: string[] = [];
    for (const [method, path, body] of routes) {
      for (const [name, make] of variants) {
        const v = make(path);
        const res = await fetch(`${base}${path}${v.query ?? ''}`, {
          method,
          headers: { ...v.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        if (res.status < 400) accepted.push(`${name} ${method} ${path}: ${res.status} ${text.slice(0, 80)}`);
        expect(text).not.toContain(token);
        expect(text).not.toContain(HOOK_TOKEN);
      }
    }
    expect(accepted).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.requests.length).toBe(modelCalls);
    expect([...entered.keys()].filter((k) => k !== 'health')).toEqual([]);

    // Unauthenticated probes: bounded fields only.
    for (const path of ['/health', '/healthz', '/ready', '/readyz']) {
      const res = await fetch(`${base}${path}`);
      expect(Object.keys((await res.json()) as object).sort()).toEqual(['ok', 'status']);
    }
    const page = await (await fetch(`${base}/`)).text();
    expect(page).not.toContain(token);
    expect(page).not.toContain(HOOK_TOKEN);

    // Control: the right token on each route is accepted (the matrix was not refusing everything).
    const ok = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const hook = await fetch(`${base}/hooks/wake`, {
      method: 'POST',
      headers: { authorization: `Bearer ${HOOK_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'control' }),
    });
    expect(hook.status).toBe(200);
  });
});
