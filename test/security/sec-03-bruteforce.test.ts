/**
 * SEC-03 (quick size): brute force and timing. 100 wrong tokens from one address: locked out after 10
 * failures in 60 s, for at least 5 minutes (also for the right token), other addresses unaffected; the
 * same per browser Origin across many addresses. 20,000 timed comparisons of a correct-prefix token
 * against a wrong-first-byte token show no timing difference (Welch t-test on batch means, p > 0.01),
 * while the same test run on a naive early-exit comparison finds the leak (so it can fail).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Gateway, secretsEqual } from '../../src/gateway/index.js';
import { rng } from './support.js';

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

// ---- timing ----

/** Mean and variance. */
function stats(xs: number[]): { mean: number; v: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, v, n };
}

/** Two-sided p of Welch's t-test (normal approximation: each side has ≥ 100 samples). */
function welchP(a: number[], b: number[]): number {
  const x = stats(a);
  const y = stats(b);
  const t = (x.mean - y.mean) / Math.sqrt(x.v / x.n + y.v / y.n);
  const z = Math.abs(t);
  // Φ(z) by the Abramowitz–Stegun approximation of erf.
  const erf = (u: number) => {
    const s = 1 / (1 + 0.3275911 * u);
    const poly =
      s * (0.254829592 + s * (-0.284496736 + s * (1.421413741 + s * (-1.453152027 + s * 1.061405429))));
    return 1 - poly * Math.exp(-u * u);
  };
  return 2 * (1 - 0.5 * (1 + erf(z / Math.SQRT2)));
}

/** Drop the slowest 10 % (GC pauses, preemption on a shared machine) before comparing. */
const trim = (xs: number[]) => [...xs].sort((p, q) => p - q).slice(0, Math.floor(xs.length * 0.9));

/**
 * 20,000 comparisons in 200 batches of 100, the two kinds interleaved in a seeded random order:
 * `expected` vs a token equal but for its last byte, and vs one wrong in its first byte.
 */
function timePair(cmp: (a: string, b: string) => boolean, expected: string, seed: number): number {
  const prefix = `${expected.slice(0, -1)}${expected.endsWith('A') ? 'B' : 'A'}`;
  const first = `${expected.startsWith('A') ? 'B' : 'A'}${expected.slice(1)}`;
  const order = Array.from({ length: 200 }, (_, i) => i % 2);
  const rand = rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let i = 0; i < 2000; i++) cmp(i % 2 ? prefix : first, expected); // warm up
  const a: number[] = [];
  const b: number[] = [];
  let sink = 0;
  for (const kind of order) {
    const given = kind ? prefix : first;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) if (cmp(given, expected)) sink++;
    const dt = Number(process.hrtime.bigint() - t0);
    (kind ? a : b).push(dt);
  }
  expect(sink).toBe(0);
  return welchP(trim(a), trim(b));
}

function naiveEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

describe('SEC-03 timing', () => {
  it('20,000 timed comparisons: correct prefix and wrong first byte are indistinguishable (p > 0.01)', () => {
    const expected = `${'Zq3'.repeat(14)}Q`; // 43 characters, like a generated token
    // A real difference shows up every time; noise on a busy machine may cross 0.01 once in a while, so a
    // failing first run gets one fresh run with another seed.
    let p = timePair(secretsEqual, expected, 1);
    if (p <= 0.01) p = timePair(secretsEqual, expected, 2);
    expect(p).toBeGreaterThan(0.01);
  });

  it('the same test finds the leak of a naive early-exit comparison', () => {
    const expected = `${'Zq3'.repeat(14)}Q`; // the same 43 characters
    expect(timePair(naiveEqual, expected, 3)).toBeLessThan(0.01);
  });
});
