/**
 * A fake clock and timer port for scheduler tests in test/ (the scheduler's own test support is private
 * to its folder): time moves only when a test advances it, and due timers fire in order.
 */
import type { Timers } from '../../src/scheduler/index.js';
import type { Clock } from '../../src/shared/index.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualTime implements Clock, Timers {
  #mono = 0;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(private readonly startWallMs: number) {}

  now(): number {
    return this.startWallMs + this.#mono;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.#seq;
    this.#pending.set(seq, { at: this.#mono + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Move forward `ms`, firing due timers one by one, awaiting `settle` after each. */
  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const end = this.#mono + ms;
    for (;;) {
      await settle();
      const due = [...this.#pending.values()]
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#pending.delete(due.seq);
      this.#mono = Math.max(this.#mono, due.at);
      due.fn();
    }
    this.#mono = end;
    await settle();
  }
}

/** Poll (real time) until `cond` holds; for async file I/O behind the fake clock. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setImmediate(r));
}
