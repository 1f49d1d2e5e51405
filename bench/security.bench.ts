// SEC-03 timing (issue 12): is the gateway's secret comparison constant-time? 20,000 timed comparisons
// of the secret against a token wrong only in its last byte (correct prefix) and one wrong in its first
// byte, compared with Welch's t-test; p > 0.01 means no detectable difference. The same measurement of a
// naive early-exit comparison shows the test can see a leak. `npm run bench -- security`.
import { secretsEqual } from '../src/gateway/index.js';

/** 200 batches of 100 comparisons (100 batches per kind): 20,000 comparisons per run. */
const BATCHES = 200;
const PER_BATCH = 100;
const RUNS = 3;

/** A small seeded generator (mulberry32), so each run's interleaving is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stats(xs: number[]): { mean: number; v: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, v, n };
}

/** Two-sided p of Welch's t-test (normal approximation: each side has ≥ 90 samples). */
function welchP(a: number[], b: number[]): number {
  const x = stats(a);
  const y = stats(b);
  const z = Math.abs((x.mean - y.mean) / Math.sqrt(x.v / x.n + y.v / y.n));
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

interface Timing {
  p: number;
  /** Mean ns per comparison: correct prefix, wrong first byte. */
  prefixNs: number;
  firstNs: number;
}

/** One run: the two kinds of batch interleaved in a seeded random order, after a warm-up. */
function timePair(cmp: (a: string, b: string) => boolean, expected: string, seed: number): Timing {
  const prefix = `${expected.slice(0, -1)}${expected.endsWith('A') ? 'B' : 'A'}`;
  const first = `${expected.startsWith('A') ? 'B' : 'A'}${expected.slice(1)}`;
  const order = Array.from({ length: BATCHES }, (_, i) => i % 2);
  const rand = rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  let sink = 0;
  for (let i = 0; i < 2000; i++) if (cmp(i % 2 ? prefix : first, expected)) sink++;
  const a: number[] = [];
  const b: number[] = [];
  for (const kind of order) {
    const given = kind ? prefix : first;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < PER_BATCH; i++) if (cmp(given, expected)) sink++;
    (kind ? a : b).push(Number(process.hrtime.bigint() - t0));
  }
  if (sink !== 0) throw new Error('a wrong token compared equal');
  const ta = trim(a);
  const tb = trim(b);
  return {
    p: welchP(ta, tb),
    prefixNs: stats(ta).mean / PER_BATCH,
    firstNs: stats(tb).mean / PER_BATCH,
  };
}

function naiveEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

function describeRuns(runs: Timing[]): [string, string] {
  const show = (p: number) => (p < 1e-12 ? '< 1e-12' : p < 1e-4 ? p.toExponential(1) : p.toFixed(3));
  const p = runs.map((r) => show(r.p)).join(', ');
  const ns = runs.map((r) => `${r.prefixNs.toFixed(0)} / ${r.firstNs.toFixed(0)}`).join(', ');
  return [p, ns];
}

/** Welch p-values of the comparison timings (our secretsEqual and a naive one), three runs each. */
export async function benchSecurity(): Promise<Record<string, string>> {
  const expected = `${'Zq3'.repeat(14)}Q`; // 43 characters, like a generated token
  const ours = Array.from({ length: RUNS }, (_, i) => timePair(secretsEqual, expected, i + 1));
  const naive = Array.from({ length: RUNS }, (_, i) => timePair(naiveEqual, expected, i + 11));
  const [oursP, oursNs] = describeRuns(ours);
  const [naiveP, naiveNs] = describeRuns(naive);
  const verdict = (runs: Timing[]) =>
    runs.every((r) => r.p > 0.01) ? 'no difference found' : 'difference found (p ≤ 0.01)';
  return {
    'comparisons per run': `${(BATCHES * PER_BATCH).toLocaleString('en')} (${BATCHES} batches of ${PER_BATCH}, kinds interleaved), ${RUNS} runs`,
    'secretsEqual Welch p': `${oursP} → ${verdict(ours)}`,
    'secretsEqual ns/compare prefix / first byte': oursNs,
    'naive early-exit Welch p': `${naiveP} → ${verdict(naive)}`,
    'naive ns/compare prefix / first byte': naiveNs,
  };
}
