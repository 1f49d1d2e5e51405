import { describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, TestClient } from '../helpers/ws-client.js';

/** A small seeded PRNG so a failure can be replayed with the same seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261126;

function malformedFrame(rand: () => number, i: number): string | Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const bytes = () =>
    Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  switch (Math.floor(rand() * 14)) {
    case 0:
      return bytes().toString('latin1');
    case 1:
      return JSON.stringify({ type: 'req', id: `t${i}`, method: 'health' }).slice(0, Math.floor(rand() * 30));
    case 2:
      return JSON.stringify(pick([null, 42, 'req', [], [1, 2], true, {}]));
    case 3:
      return JSON.stringify({ type: 'req', id: pick([1, null, '', {}, []]), method: 'health' });
    case 4:
      return JSON.stringify({ type: 'req', id: `t${i}`, method: pick([1, null, '', 'x'.repeat(200)]) });
    case 5:
      return JSON.stringify({
        type: 'req',
        id: 'i'.repeat(1000 + Math.floor(rand() * 100_000)),
        method: 'health',
      });
    case 6:
      return JSON.stringify({ type: 'req', id: `t${i}`, method: `no.such.${Math.floor(rand() * 1e6)}` });
    case 7:
      return JSON.stringify({
        type: 'req',
        id: `t${i}`,
        method: pick(['logs.tail', 'config.get', 'status']),
        params: pick(['x', 1, [], { limit: -1 }, { cursor: 'a' }, { bogus: true }]),
      });
    case 8:
      return `{"type":"req","id":"p${i}","method":"health","params":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}`;
    case 9:
      return `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    case 10:
      return JSON.stringify({
        type: pick(['res', 'event', 'REQ', '']),
        id: `t${i}`,
        method: 'health',
        ok: true,
      });
    case 11:
      return JSON.stringify({
        type: 'req',
        id: 'dup',
        method: 'config.patch',
        params: { patch: { x: 'y'.repeat(Math.floor(rand() * 100)) } },
      });
    case 12:
      return bytes(); // binary frame
    default:
      return JSON.stringify({ type: 'req', id: `t${i}`, method: 'health', extra: 'key' });
  }
}

describe('fuzz: malformed frames', () => {
  it(`survives 10,000 random and malformed frames before and after connect (seed ${SEED})`, async () => {
    const h = await startGateway();
    const rand = rng(SEED);
    let sent = 0;
    try {
      // Before connect: 1,000 frames, each on a fresh socket (the gateway closes after the first bad one).
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            const c = await TestClient.open(h.url);
            await c.waitFor((f) => f.event === 'connect.challenge');
            const frame = malformedFrame(rand, sent++);
            c.ws.send(frame, { binary: typeof frame !== 'string' });
            await c.closed;
          }),
        );
      }
      // After connect: 9,000 frames over 10 connections, reconnecting whenever the gateway hangs up.
      const clients = await Promise.all(Array.from({ length: 10 }, () => connectedClient(h.url, h.token)));
      let reconnects = 0;
      while (sent < 10_000) {
        for (let k = 0; k < clients.length; k++) {
          let c = clients[k] as TestClient;
          if (c.ws.readyState !== c.ws.OPEN) {
            c = await connectedClient(h.url, h.token);
            clients[k] = c;
            reconnects++;
          }
          for (let j = 0; j < 25 && sent < 10_000; j++) {
            const frame = malformedFrame(rand, sent++);
            if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame, { binary: typeof frame !== 'string' });
          }
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(sent).toBe(10_000);
      expect(reconnects).toBeGreaterThan(0);
      for (const c of clients) c.close();

      // Still healthy on a fresh connection, prototype not polluted, and nothing left over.
      const fresh = await connectedClient(h.url, h.token);
      const health = await fresh.request('health');
      expect(health.ok).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      fresh.close();
      await fresh.closed;
      await new Promise((r) => setTimeout(r, 100));
      expect(h.gateway.transport.connections.size).toBe(0);
    } finally {
      await h.cleanup();
    }
  }, 120_000);
});
