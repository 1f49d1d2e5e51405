import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, TestClient } from '../helpers/ws-client.js';

describe('logs', () => {
  it('writes JSON lines, serves them with logs.tail and cursors, and never writes the secret', async () => {
    const h = await startGateway();
    try {
      const token = h.token ?? '';
      const c = await connectedClient(h.url, token, { clientId: 'cli', mode: 'cli' });
      // A failed attempt that carries a near-miss of the token, and a request that echoes it in an error.
      const bad = await TestClient.open(h.url);
      await bad.connect({ token: `${token}-wrong` });
      await c.request('no.such.method', { token });
      const first = await c.request('logs.tail', { limit: 50 });
      expect(first.ok).toBe(true);
      const out = first.payload as { lines: string[]; cursor: number; file: string };
      expect(out.lines.length).toBeGreaterThan(1);
      for (const line of out.lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(out.lines.some((l) => l.includes('gateway listening'))).toBe(true);
      expect(out.lines.some((l) => l.includes('handshake refused'))).toBe(true);

      // Nothing new yet after the cursor except what the tail itself caused; then a new event shows up.
      const other = await connectedClient(h.url, token);
      other.close();
      await new Promise((r) => setTimeout(r, 50));
      const next = await c.request('logs.tail', { cursor: out.cursor });
      const lines = (next.payload as { lines: string[] }).lines;
      expect(lines.some((l) => l.includes('client connected'))).toBe(true);
      expect(lines.some((l) => l.includes('gateway listening'))).toBe(false);

      await h.gateway.stop();
      const text = await readFile(join(h.stateDir, 'logs', 'gateway.jsonl'), 'utf8');
      expect(text).not.toContain(token);
      expect(text).not.toContain(Buffer.from(token).toString('base64'));
    } finally {
      await h.cleanup();
    }
  });
});
