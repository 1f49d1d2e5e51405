/**
 * REL-02 (SECURITY-TESTS.md), quick size: connection limits of the control plane.
 * - 1,000 sockets that never send `connect` are all closed by the handshake timeout (1008, with a reason).
 * - 500 connections from one address: the per-address cap (`gateway.maxConnectionsPerIp`, default 256)
 *   admits exactly that many; the rest are refused at the upgrade with 429 and a reason; another address is
 *   still admitted meanwhile; once they close, the address is admitted again.
 * - A client that stops reading while 100 events/s are broadcast is dropped at `maxBufferedBytes`, while a
 *   client that reads keeps getting every event, in order, without gaps.
 * The 64 KiB + 1 pre-auth frame (1009) is in test/gateway/handshake.test.ts. No timing is asserted here;
 * the handshake timeout is short only so the test is quick.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../helpers/ws-client.js';
import { until } from './support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

type Attempt =
  | { kind: 'open'; ws: WebSocket; closed: Promise<{ code: number; reason: string }> }
  | { kind: 'refused'; status: number; body: string };

/** Open a WebSocket to `url` (optionally from `localAddress`); report whether the upgrade was refused. */
function attempt(url: string, localAddress?: string): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.on('error', () => undefined);
    ws.once('open', () => resolve({ kind: 'open', ws, closed }));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    ws.once('error', (err) => reject(err));
  });
}

describe('REL-02: connection limits', () => {
  it('closes 1,000 sockets that never send connect with 1008 (handshake timeout)', async () => {
    h = await startGateway({ gateway: { handshakeTimeoutMs: 1500, maxConnectionsPerIp: 1100 } });
    const url = h.url;
    const sockets: Attempt[] = [];
    for (let i = 0; i < 1000; i += 100)
      sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => attempt(url)))));
    expect(sockets.every((s) => s.kind === 'open')).toBe(true);
    const closes = await Promise.all(
      sockets.map((s) => (s.kind === 'open' ? s.closed : Promise.resolve({ code: 0, reason: '' }))),
    );
    expect(closes.filter((c) => c.code === 1008)).toHaveLength(1000);
    expect(new Set(closes.map((c) => c.reason))).toEqual(new Set(['handshake timeout: send connect first']));
    await until(() => h?.gateway.transport.connections.size === 0, 'the gateway to forget them');
    // The gateway still serves a client that does send connect.
    const fresh = await connectedClient(h.url, h.token);
    expect((await fresh.request('health')).ok).toBe(true);
    fresh.close();
  }, 120_000);

  it('enforces the per-address cap on 500 connections from one address, and recovers', async () => {
    h = await startGateway({ gateway: { handshakeTimeoutMs: 60_000 } });
    const cap = h.gateway.config.gateway.maxConnectionsPerIp;
    expect(cap).toBe(256);
    const url = h.url;
    const attempts: Attempt[] = [];
    for (let i = 0; i < 500; i += 50)
      attempts.push(...(await Promise.all(Array.from({ length: 50 }, () => attempt(url)))));
    const open = attempts.filter((a) => a.kind === 'open');
    const refused = attempts.filter((a) => a.kind === 'refused');
    expect(open).toHaveLength(cap);
    expect(refused).toHaveLength(500 - cap);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(JSON.parse(r.body).error.message).toBe('too many connections from this address');
    }
    // The cap is per address: another loopback address is admitted meanwhile, and can authenticate.
    const other = await attempt(url, '127.0.0.2');
    expect(other.kind).toBe('open');
    if (other.kind === 'open') other.ws.close();
    // The admitted ones are still live: one of them can authenticate.
    const first = open[0];
    if (first?.kind !== 'open') throw new Error('unreachable');
    first.ws.close();
    await first.closed;
    const c = await connectedClient(url, h.token);
    expect((await c.request('health')).ok).toBe(true);
    // Close them all: the address is admitted again, up to the cap.
    c.close();
    for (const a of open) if (a.kind === 'open') a.ws.close();
    await Promise.all(open.map((a) => (a.kind === 'open' ? a.closed : undefined)));
    await until(() => h?.gateway.transport.connections.size === 0, 'every connection to be released');
    const again = await Promise.all(Array.from({ length: cap }, () => attempt(url)));
    expect(again.every((a) => a.kind === 'open')).toBe(true);
    const over = await attempt(url);
    expect(over.kind).toBe('refused');
    for (const a of again) if (a.kind === 'open') a.ws.close();
    await Promise.all(again.map((a) => (a.kind === 'open' ? a.closed : undefined)));
  }, 120_000);

  it('drops a client that stops reading during 100 events/s; a reading client gets every event in order', async () => {
    h = await startGateway({ gateway: { maxBufferedBytes: 256 * 1024 } });
    const gateway = h.gateway;
    const reader = await connectedClient(h.url, h.token);
    const slow = await connectedClient(h.url, h.token);
    const slowConn = [...gateway.transport.connections.values()].at(-1);
    slow.ws.pause(); // stops reading: the kernel buffers fill, then the gateway's send buffer grows
    const pad = 'e'.repeat(64 * 1024);
    let n = 0;
    const timer = setInterval(() => gateway.broadcast('tick', { ts: Date.now(), n: n++, pad }), 10);
    try {
      await until(() => gateway.transport.connections.size === 1, 'the slow consumer to be dropped', 120_000);
      const cutAt = n;
      await until(() => n >= cutAt + 100, '100 more events after the cut');
    } finally {
      clearInterval(timer);
    }
    expect(slowConn?.phase).toBe('closed');
    const sent = n;
    const numbered = (c: TestClient) =>
      c
        .events('tick')
        .map((f: Frame) => (f.payload as { n?: number }).n)
        .filter((x): x is number => typeof x === 'number');
    await until(() => numbered(reader).length === sent, 'the reader to get every event');
    expect(numbered(reader)).toEqual(Array.from({ length: sent }, (_, i) => i));
    const seqs = reader
      .events()
      .filter((f) => f.event !== 'connect.challenge')
      .map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    // The dropped client: what it did get is a gapless prefix, and its connection is gone.
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed.code).not.toBe(1000);
    const got = numbered(slow);
    expect(got.length).toBeLessThan(sent);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    expect((await reader.request('health')).ok).toBe(true);
    reader.close();
  }, 180_000);
});
