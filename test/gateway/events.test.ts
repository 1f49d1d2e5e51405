import { describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';

describe('events', () => {
  it('numbers events per connection from 1 without gaps, with a rising stateVersion', async () => {
    const h = await startGateway({ gateway: { tickIntervalMs: 1000 } });
    try {
      const a = await connectedClient(h.url, h.token);
      // Each new client changes presence: `a` sees one presence event per join and leave.
      const others = [];
      for (let i = 0; i < 3; i++) others.push(await connectedClient(h.url, h.token));
      for (const o of others) o.close();
      await a.waitFor((f) => f.event === 'tick', 3000);
      await a.waitFor(
        (f) => f.event === 'presence' && (f.payload as { presence: unknown[] }).presence.length === 1,
      );
      const seqs = a
        .events()
        .filter((f) => f.event !== 'connect.challenge')
        .map((f) => f.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      const presence = a.events('presence').map((f) => f.stateVersion?.presence ?? 0);
      for (let i = 1; i < presence.length; i++) expect(presence[i]).toBeGreaterThan(presence[i - 1] ?? 0);
      const tick = a.events('tick')[0];
      expect(typeof (tick?.payload as { ts: number } | undefined)?.ts).toBe('number');
      a.close();
    } finally {
      await h.cleanup();
    }
  });

  it('on stop sends shutdown to everyone and closes with 1012', async () => {
    const h = await startGateway();
    const clients = [await connectedClient(h.url, h.token), await connectedClient(h.url, h.token)];
    await h.gateway.stop('maintenance', 5000);
    for (const c of clients) {
      const closed = await c.closed;
      expect(closed.code).toBe(1012);
      const shutdown = c.events('shutdown')[0];
      expect(shutdown?.payload).toEqual({ reason: 'maintenance', restartExpectedMs: 5000 });
    }
    const res = await fetch(`http://127.0.0.1:${h.gateway.port}/healthz`).catch((e: Error) => e);
    expect(res).toBeInstanceOf(Error);
    await h.cleanup();
  });

  it('cuts off a slow consumer once its send buffer passes maxBufferedBytes, others unaffected', async () => {
    const h = await startGateway({ gateway: { maxBufferedBytes: 64 * 1024 } });
    try {
      const slow = await connectedClient(h.url, h.token);
      const fast = await connectedClient(h.url, h.token);
      slow.ws.pause(); // stop reading: the kernel buffers fill, then the gateway's send buffer grows
      const big = 'x'.repeat(256 * 1024);
      for (let i = 0; i < 1000 && h.gateway.transport.connections.size > 1; i++) {
        h.gateway.broadcast('tick', { ts: Date.now(), pad: big });
        await new Promise((r) => setImmediate(r));
      }
      expect(h.gateway.transport.connections.size).toBe(1);
      expect((await fast.request('health')).ok).toBe(true);
      fast.close();
    } finally {
      await h.cleanup();
    }
  });
});
