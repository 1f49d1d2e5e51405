/**
 * SEC-06 (quick size), end to end: every URL-typed parameter an agent or a client can set — found by
 * walking the tool and method schemas — gets the shared host corpus (ssrf-corpus.ts: 61 private/reserved
 * IP literals, 16 legacy IPv4 spellings, 14 internal host names) and scheme tricks, each aimed at a
 * recorder listening on every local address. The model asks for all of them in one reply, through a real
 * gateway. Pass bar: every call refused, the recorder accepts 0 connections. With private networks allowed, redirects to a metadata address and
 * chains of more than 3 hops are still refused. (DNS rebinding and per-answer checks with a scripted
 * resolver: src/tools/ssrf.battery.test.ts.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { describeAgentToolset } from '../../src/gateway/index.js';
import { METHOD_SPECS } from '../../src/protocol/index.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';
import { SSRF_HOSTS } from './ssrf-corpus.js';
import { fakeModelConfig, finalOf, type Recorder, startRecorder } from './support.js';

let fake: FakeModelServer;
let recorder: Recorder;
const harnesses: Harness[] = [];

beforeAll(async () => {
  fake = await startFakeModelServer();
  recorder = await startRecorder('::'); // every local address, IPv4-mapped included
});
afterAll(async () => {
  for (const h of harnesses) await h.cleanup();
  await recorder?.close();
  await fake?.close();
});

function urlCases(P: number): string[] {
  const tricks = [
    'file:///etc/passwd',
    `gopher://127.0.0.1:${P}/_GET`,
    `ftp://127.0.0.1:${P}/`,
    `dict://127.0.0.1:${P}/`,
    `ws://127.0.0.1:${P}/`,
    `http://user@127.0.0.1:${P}/`,
    `http://user:pass@example.com@127.0.0.1:${P}/`,
    `http://127.0.0.1:${P}#@example.com/`,
    `http://127.0.0.1:${P}\\@example.com/`,
    `http://127.0.0.1:${P}%2f@example.com/`,
    'data:text/html,<script>alert(1)</script>',
    'javascript:alert(1)',
    `http://[::ffff:127.0.0.1]:${P}/`,
    `HTTP://127.0.0.1:${P}/`,
    `http://0/`,
  ];
  return [
    ...SSRF_HOSTS.map((h) => `http://${h.host}:${P}/${h.kind === 'ipv4' ? 'latest/meta-data/' : ''}`),
    ...tricks,
  ];
}

async function gateway(extra: Record<string, unknown> = {}) {
  const h = await startGateway({ ...fakeModelConfig(fake), tools: { profile: 'full' }, ...extra });
  harnesses.push(h);
  return { h, c: await connectedClient(h.url, h.token) };
}

const toolResults = (req: RecordedRequest | undefined) =>
  ((req?.body.messages ?? []) as { role: string; content: string }[]).filter((m) => m.role === 'tool');

describe('SEC-06 SSRF on every URL-typed parameter', () => {
  it('the URL-typed parameters are exactly web_fetch.url (tools) and none among the methods', () => {
    const r = validateConfig({ tools: { profile: 'full' }, memory: { enabled: true } });
    if (!r.ok) throw new Error('config');
    const URLISH = /url|uri|href|link|endpoint|address|host/i;
    const tools = describeAgentToolset(r.config, '/tmp').flatMap((t) =>
      Object.keys((t.parameters as { properties?: object }).properties ?? {})
        .filter((k) => URLISH.test(k))
        .map((k) => `${t.name}.${k}`),
    );
    expect(tools).toEqual(['web_fetch.url']);
    const methods: string[] = [];
    const walk = (node: unknown, path: string) => {
      const n = node as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] };
      if (!n || typeof n !== 'object') return;
      for (const [k, v] of Object.entries(n.properties ?? {})) {
        if (URLISH.test(k)) methods.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
      if (n.items) walk(n.items, `${path}[]`);
      for (const b of n.anyOf ?? []) walk(b, path);
    };
    for (const [m, spec] of Object.entries(METHOD_SPECS)) walk(spec.params, m);
    expect(methods).toEqual([]);
  });

  it(`every case refused before TCP connect: the recorder on every local address accepts nothing`, async () => {
    const cases = urlCases(recorder.port);
    expect(cases.length).toBeGreaterThanOrEqual(90);
    const { c } = await gateway();
    const before = fake.requests.length;
    fake.enqueue(
      {
        type: 'reply',
        toolCalls: cases.map((url, i) => ({ id: `f${i}`, name: 'web_fetch', args: { url } })),
      },
      { type: 'reply', text: 'done' },
    );
    await c.request('agent', { message: 'fetch all of these', idempotencyKey: 'sec06' });
    await finalOf(c, 'sec06', 60_000);
    const results = toolResults(fake.requests[before + 1]);
    expect(results).toHaveLength(cases.length);
    const fetched = results.filter((r) => !r.content.startsWith('web_fetch failed:'));
    expect(fetched.map((r) => r.content.slice(0, 120))).toEqual([]);
    expect(recorder.connections).toEqual([]);
    expect(recorder.requests).toEqual([]);
  }, 90_000);

  it('with private networks allowed: a redirect to a metadata address and a 4-hop chain are refused', async () => {
    let hops = 0;
    const web: Server = createServer((req, res) => {
      hops++;
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/to-metadata') {
        res.writeHead(302, { location: `http://169.254.169.254:${recorder.port}/latest/meta-data/` }).end();
        return;
      }
      if (url.pathname === '/to-metadata-v6') {
        res.writeHead(302, { location: `http://[::ffff:169.254.169.254]:${recorder.port}/` }).end();
        return;
      }
      const n = Number(/^\/hop\/(\d+)$/.exec(url.pathname)?.[1] ?? -1);
      if (n >= 0) {
        res.writeHead(302, { location: `/hop/${n + 1}` }).end();
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const W = (web.address() as AddressInfo).port;
    try {
      const { c } = await gateway({
        tools: { profile: 'full', web: { fetch: { allowPrivateNetwork: true } } },
      });
      const urls = [
        `http://127.0.0.1:${W}/to-metadata`,
        `http://127.0.0.1:${W}/to-metadata-v6`,
        `http://127.0.0.1:${W}/hop/0`,
        // Control: private networks are allowed here, so the recorder itself is reachable.
        `http://127.0.0.1:${recorder.port}/control`,
      ];
      const before = fake.requests.length;
      fake.enqueue(
        {
          type: 'reply',
          toolCalls: urls.map((url, i) => ({ id: `r${i}`, name: 'web_fetch', args: { url } })),
        },
        { type: 'reply', text: 'done' },
      );
      await c.request('agent', { message: 'follow these', idempotencyKey: 'sec06-redirects' });
      await finalOf(c, 'sec06-redirects');
      const results = toolResults(fake.requests[before + 1]).map((r) => r.content);
      expect(results).toHaveLength(4);
      expect(results[0]).toMatch(/^web_fetch failed: .*metadata/);
      expect(results[1]).toMatch(/^web_fetch failed: .*metadata/);
      expect(results[2]).toMatch(/^web_fetch failed: .*redirect/i);
      expect(hops).toBe(2 + 4); // two metadata redirects, then hop 0..3: the fourth redirect is not followed
      expect(results[3]).not.toMatch(/^web_fetch failed/);
      expect(recorder.requests).toEqual(['GET /control']);
    } finally {
      await new Promise<void>((r) => web.close(() => r()));
    }
  });
});
