import type { Clock } from '../shared/index.js';

/**
 * The limiter keys of one authentication attempt: its address, and its browser Origin when it has one
 * (a page guessing from a browser is locked out by Origin too, loopback included).
 */
export function failureKeys(remote: string | undefined, origin: string | undefined): string[] {
  const keys = [`ip:${remote ?? 'unknown'}`];
  if (origin !== undefined) keys.push(`origin:${origin.toLowerCase()}`);
  return keys;
}

export interface RateLimitPolicy {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/**
 * Counts authentication failures per key (a remote address, a browser Origin). `maxFailures` inside
 * `windowMs` locks the key out for `lockoutMs`. Memory is bounded: idle keys are pruned.
 */
export class FailureLimiter {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private policy: RateLimitPolicy,
    private readonly clock: Clock,
    private readonly maxKeys = 10_000,
  ) {}

  setPolicy(policy: RateLimitPolicy): void {
    this.policy = policy;
  }

  /** Milliseconds until `key` may try again, or 0 when it is not locked out. */
  retryAfter(key: string): number {
    const entry = this.#entries.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.lockedUntil - this.clock.now());
  }

  /** Record one failure; returns the lockout in ms if this failure (or an earlier one) locked the key. */
  fail(key: string): number {
    const now = this.clock.now();
    let entry = this.#entries.get(key);
    if (!entry) {
      if (this.#entries.size >= this.maxKeys) this.prune(now);
      entry = { failures: [], lockedUntil: 0 };
      this.#entries.set(key, entry);
    }
    entry.failures = entry.failures.filter((t) => now - t < this.policy.windowMs);
    entry.failures.push(now);
    if (entry.failures.length >= this.policy.maxFailures) entry.lockedUntil = now + this.policy.lockoutMs;
    return Math.max(0, entry.lockedUntil - now);
  }

  /** A success clears the failures of `key` unless it is locked out. */
  succeed(key: string): void {
    const entry = this.#entries.get(key);
    if (entry && entry.lockedUntil <= this.clock.now()) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.#entries) {
      const recent = entry.failures.some((t) => now - t < this.policy.windowMs);
      if (!recent && entry.lockedUntil <= now) this.#entries.delete(key);
    }
    // Still full (a flood of distinct keys): drop the oldest half rather than grow without bound.
    if (this.#entries.size >= this.maxKeys) {
      let drop = Math.floor(this.maxKeys / 2);
      for (const key of this.#entries.keys()) {
        if (drop-- <= 0) break;
        this.#entries.delete(key);
      }
    }
  }
}
