import { type Deferred, deferred } from '../shared/index.js';

/** Runs tasks one at a time per key; tasks of different keys run concurrently. Idle keys leave no trace. */
export class KeyedSerial {
  private readonly chains = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return next;
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.chains.size;
  }
}

/**
 * Coalesces writes of a whole-state snapshot: `request()` resolves once a write that started after the
 * call has finished. Requests made while a write runs share the next write, so N mutations in a burst
 * cost at most two writes.
 */
export class CoalescedWriter {
  private dirty = false;
  private running: Promise<void> | undefined;
  private waiter: Deferred<void> | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  request(): Promise<void> {
    this.dirty = true;
    this.waiter ??= deferred<void>();
    const promise = this.waiter.promise;
    this.running ??= this.loop();
    return promise;
  }

  /** True while a write is running or requested. */
  get busy(): boolean {
    return this.running !== undefined || this.dirty;
  }

  /** Resolve when no write is running or requested. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    // Yield first so `running` is assigned before the loop can end, and same-tick requests share a write.
    await null;
    try {
      while (this.dirty) {
        this.dirty = false;
        const waiter = this.waiter;
        this.waiter = undefined;
        try {
          await this.write();
          waiter?.resolve();
        } catch (err) {
          waiter?.reject(err);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
