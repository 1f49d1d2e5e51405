/** Shared bits of the reliability battery: a seeded PRNG, waits, and the fake model's view of a request. */
import type { RecordedRequest } from '../fakes/fake-model-server.js';

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number from the environment (the battery's sizes), else `fallback`. */
export function envInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Resolve once `check` holds (polled every 50 ms); throw naming `what` after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 30_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The text of the last user message of a model request. */
export function lastUser(req: RecordedRequest): string {
  const messages = (req.body.messages as { role: string; content: unknown }[]) ?? [];
  const m = [...messages].reverse().find((x) => x.role === 'user');
  if (typeof m?.content === 'string') return m.content;
  if (Array.isArray(m?.content))
    return m.content.map((p: { text?: string }) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}
