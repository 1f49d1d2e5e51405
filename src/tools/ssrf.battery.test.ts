import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SSRF_HOSTS } from '../../test/security/ssrf-corpus.js';
import { isCarapaceError } from '../shared/index.js';
import { guardedFetch } from './guarded-fetch.js';
import { createNodeTransport, type HttpTransport, type TransportRequest } from './http-transport.js';
import { checkUrl, type ResolvedAddress, type Resolver } from './ssrf.js';
import { createWebTools } from './web-tools.js';

// SEC-06 (quick size): every case is refused before TCP connect; a real listener on 127.0.0.1 counts the
// sockets it accepts and must see none. The "internet" is faked at its edge: a DNS port and a network
// that routes the documentation-free public address 93.184.216.34 to a second local server.
const PUBLIC = '93.184.216.34';
const ctx = { sessionKey: 's', agentId: 'main', runId: 'r', toolCallId: 't' };

let sentinel: Server;
let sentinelHits = 0;
let P = 0;
let web: Server;
let webHits = 0;
let W = 0;
let transportCalls: TransportRequest[] = [];
let rebindCalls = 0;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

const DNS: Record<string, string[]> = {
  'public.example': [PUBLIC],
  'evil.example': ['127.0.0.1'],
  'evil6.example': ['::1'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'mixed.example': [PUBLIC, '10.0.0.1'],
  'meta.example': ['169.254.169.254'],
  'nat64.example': ['64:ff9b::7f00:1'],
  'cgnat.example': ['100.64.1.1'],
};

const resolver: Resolver = async (name) => {
  if (name === 'rebind.example') return [{ address: rebindCalls++ === 0 ? PUBLIC : '127.0.0.1', family: 4 }];
  const found = DNS[name];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return found.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
};

/** The network: records every connection attempt; PUBLIC routes to the local "web" server. */
const node = createNodeTransport();
const network: HttpTransport = (req) => {
  transportCalls.push(req);
  if (req.address !== PUBLIC) return node(req);
  const url = new URL(req.url.href);
  url.hostname = '127.0.0.1';
  url.port = String(W);
  return node({ ...req, url, address: '127.0.0.1', family: 4 });
};

beforeAll(async () => {
  sentinel = createServer((_req, res) => res.end('SENTINEL-REACHED'));
  sentinel.on('connection', () => sentinelHits++);
  P = await listen(sentinel);
  web = createServer((req, res) => {
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to) {
      res.writeHead(302, { location: to });
      res.end();
      return;
    }
    const hop = /^\/hop\/(-?\d+)$/.exec(req.url ?? '');
    if (hop && Number(hop[1]) < 3) {
      res.writeHead(302, { location: `/hop/${Number(hop[1]) + 1}` });
      res.end();
      return;
    }
    res.end('public page');
  });
  web.on('connection', () => webHits++);
  W = await listen(web);
});
afterAll(async () => {
  await new Promise((r) => sentinel.close(r));
  await new Promise((r) => web.close(r));
});
beforeEach(() => {
  transportCalls = [];
  rebindCalls = 0;
});

function directCases(): string[] {
  // Names the scripted resolver answers with private addresses (or not at all).
  const dnsNames = [
    'evil.example',
    'evil6.example',
    'mapped.example',
    'mixed.example',
    'meta.example',
    'nat64.example',
    'cgnat.example',
    'nowhere.example',
  ];
  const hosts = [...SSRF_HOSTS.map((h) => h.host), ...dnsNames].map((h) => `http://${h}:${P}/`);
  const tricks = [
    'file:///etc/passwd',
    `gopher://127.0.0.1:${P}/_x`,
    'ftp://public.example/',
    `http://user:pass@public.example:${P}/`,
    `http://user@127.0.0.1:${P}/`,
    `http://127.0.0.1:${P}@evil.example/`,
    `http://a#@127.0.0.1:${P}/`,
    `http://evil.example\\@public.example:${P}/`,
    `https://127.0.0.1:${P}/`,
    'javascript:alert(1)',
    'data:text/html,hi',
    'not a url',
  ];
  const redirects = [
    `http://127.0.0.1:${P}/`,
    'http://169.254.169.254/latest/meta-data/',
    `http://localhost:${P}/`,
    `http://evil.example:${P}/`,
    `http://[::ffff:127.0.0.1]:${P}/`,
    `http://2130706433:${P}/`,
    'file:///etc/passwd',
    `http://u@public.example:${P}/`,
  ].map((to) => `http://public.example/?to=${encodeURIComponent(to)}`);
  return [
    ...hosts,
    ...tricks,
    ...redirects,
    'http://public.example/hop/-1',
    'http://rebind.example/?to=/again',
  ];
}

const REFUSED = ['URL_BLOCKED', 'URL_INVALID', 'DNS_FAILED', 'TOO_MANY_REDIRECTS'];

describe('SEC-06 SSRF battery', () => {
  it('refuses every case before connecting: 0 sockets reach the listener on 127.0.0.1', async () => {
    const cases = directCases();
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const wrong: string[] = [];
    for (const url of cases) {
      try {
        const res = await guardedFetch(url, { resolver, transport: network, maxRedirects: 3 });
        wrong.push(`${url} → fetched ${res.status} ${res.body.toString().slice(0, 40)}`);
      } catch (err) {
        if (!isCarapaceError(err) || !REFUSED.includes(err.code)) wrong.push(`${url} → ${String(err)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(sentinelHits).toBe(0);
    // Only the fake public address was ever dialled.
    expect(transportCalls.filter((c) => c.address !== PUBLIC)).toEqual([]);
  });

  it('refuses the same cases through the web_fetch tool, saying why', async () => {
    const [fetchTool] = createWebTools({ resolver, transport: network });
    const accepted: string[] = [];
    for (const url of directCases()) {
      const out = await fetchTool!.execute({ url }, ctx, new AbortController().signal);
      if (!out.isError || !String(out.content).startsWith('web_fetch failed')) accepted.push(url);
    }
    expect(accepted).toEqual([]);
    expect(sentinelHits).toBe(0);
    const why = await fetchTool!.execute(
      { url: `http://127.0.0.1:${P}/` },
      ctx,
      new AbortController().signal,
    );
    expect(why.content).toContain('allowPrivateNetwork');
  });

  it('pins the connection to the checked address so DNS rebinding cannot swap it', async () => {
    const res = await guardedFetch('http://rebind.example/', { resolver, transport: network });
    expect(res.body.toString()).toBe('public page');
    expect(transportCalls.map((c) => c.address)).toEqual([PUBLIC]);
    expect(rebindCalls).toBe(1);
    await expect(
      guardedFetch('http://rebind.example/?to=/x', { resolver, transport: network }),
    ).rejects.toThrow(/resolves to a private/);
    expect(sentinelHits).toBe(0);
  });

  it('follows allowed redirects up to maxRedirects and no further', async () => {
    const ok = await guardedFetch('http://public.example/hop/0#frag', {
      resolver,
      transport: network,
      maxRedirects: 3,
    });
    expect(ok.body.toString()).toBe('public page');
    expect(ok.url).toBe('http://public.example/hop/3');
    expect(ok.redirects).toEqual([0, 1, 2].map((n) => `http://public.example/hop/${n}`));
    await expect(
      guardedFetch('http://public.example/hop/0', { resolver, transport: network, maxRedirects: 2 }),
    ).rejects.toSatisfy((e) => isCarapaceError(e, 'TOO_MANY_REDIRECTS'));
  });

  it('with allowPrivateNetwork reaches the local listener, yet never metadata', async () => {
    const before = sentinelHits;
    const res = await guardedFetch(`http://127.0.0.1:${P}/`, { allowPrivateNetwork: true });
    expect(res.body.toString()).toBe('SENTINEL-REACHED');
    expect(sentinelHits).toBe(before + 1);
    for (const url of [
      'http://169.254.169.254/',
      'http://[::ffff:169.254.169.254]/',
      'http://metadata.google.internal/',
      'http://meta.example/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/',
      `http://127.0.0.1:${W}/?to=${encodeURIComponent('http://169.254.169.254/')}`,
      `http://127.0.0.1:${W}/?to=${encodeURIComponent('http://metadata.google.internal/')}`,
    ]) {
      await expect(guardedFetch(url, { allowPrivateNetwork: true, resolver }), url).rejects.toSatisfy((e) =>
        isCarapaceError(e, 'URL_BLOCKED'),
      );
    }
    await expect(checkUrl('http://169.254.169.254/', { allowPrivateNetwork: true })).rejects.toThrow(
      /cloud metadata endpoint/,
    );
    expect(sentinelHits).toBe(before + 1);
  });
});
