/**
 * SEC-03 (quick size): brute force. 100 wrong tokens from one address: locked out after 10
 * failures in 60 s, for at least 5 minutes (also for the right token), other addresses unaffected; the
 * same per browser Origin across many addresses. The timing half of SEC-03 (20,000 timed comparisons,
 * Welch t-test) is a benchmark, not a test: bench/security.bench.ts, `npm run bench -- security`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Gateway } from '../../src/gateway/index.js';

const MIN = 60_000;
let offset = 0;
const clock = { now: () => Date.now() + offset, monotonic: () => performance.now() + offset };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  offset = 0;
});

async function start(config: Record<string, unknown> = {}): Promise<Gateway> {
  const stateDir = await mkdtemp(join(tmpdir(), 'carapace-sec03-'));
  await writeFile(join(stateDir, 'carapace.json'), JSON.stringify(config));
  const g = await Gateway.start({ stateDir, port: 0, env: { PATH: process.env.PATH ?? '' }, clock });
  cleanups.push(async () => {
    await g.stop('done');
    await rm(stateDir, { recursive: true, force: true });
  });
  return g;
}

describe('SEC-03 brute force', () => {
  it('100 wrong tokens from one address: locked after 10 for ≥ 5 min, the right token too; other addresses fine', async () => {
    const g = await start();
    const token = g.secret!;
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await connectFrom(g, `wrong-${i}-${'x'.repeat(30)}`, '127.0.0.1');
      codes.push(String(res.error?.details?.code));
    }
    expect(codes.slice(0, 10).every((c) => c === 'AUTH_TOKEN_MISMATCH')).toBe(true);
    expect(codes.slice(10).every((c) => c === 'AUTH_RATE_LIMITED')).toBe(true);
    // The right token from the locked address is refused too; another address is not affected.
    expect((await connectFrom(g, token, '127.0.0.1')).error?.details?.code).toBe('AUTH_RATE_LIMITED');
    expect((await connectFrom(g, token, '127.0.0.2')).ok).toBe(true);
    offset += 4 * MIN + 59_000;
    expect((await connectFrom(g, token, '127.0.0.1')).error?.details?.code).toBe('AUTH_RATE_LIMITED');
    offset += 2_000;
    expect((await connectFrom(g, token, '127.0.0.1')).ok).toBe(true);
  });

  it('a browser Origin guessing from many addresses is locked out by Origin (loopback included)', async () => {
    const origin = 'http://app.example.test';
    const g = await start({ gateway: { controlUi: { allowedOrigins: [origin] } } });
    const token = g.secret!;
    for (let i = 0; i < 10; i++) {
      const res = await connectFrom(g, `guess-${i}-${'y'.repeat(30)}`, `127.0.1.${i + 1}`, origin);
      expect(res.error?.details?.code).toBe('AUTH_TOKEN_MISMATCH');
    }
    // A fresh address, the same Origin: locked, even with the right token.
    expect((await connectFrom(g, token, '127.0.2.1', origin)).error?.details?.code).toBe('AUTH_RATE_LIMITED');
    // The same address without that Origin (the owner's CLI) is fine.
    expect((await connectFrom(g, token, '127.0.2.1')).ok).toBe(true);
    // HTTP auth counts against the same limiter, by Origin too.
    const res = await fetch(`http://127.0.0.1:${g.port}/v1/models`, {
      headers: { authorization: `Bearer ${token}`, origin },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
  });
});

/** Connect from a chosen loopback source address (and Origin); the connect response. */
async function connectFrom(g: Gateway, token: string, localAddress: string, origin?: string) {
  const ws = new WebSocket(g.url, {
    localAddress,
    perMessageDeflate: false,
    headers: origin ? { origin } : {},
  });
  const frames: { type?: string; id?: string; ok?: boolean; error?: { details?: { code?: string } } }[] = [];
  return new Promise<(typeof frames)[number]>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as (typeof frames)[number] & { event?: string };
      if (f.event === 'connect.challenge') {
        ws.send(
          JSON.stringify({
            type: 'req',
            id: 'c',
            method: 'connect',
            params: {
              minProtocol: 3,
              maxProtocol: 4,
              client: { id: 'sec03', version: '1', platform: 'linux', mode: 'test' },
              auth: { token },
            },
          }),
        );
      }
      if (f.type === 'res' && f.id === 'c') {
        ws.close();
        resolve(f);
      }
    });
  });
}
