import type { StatePaths } from '../config/index.js';
import { type Clock, errorMessage } from '../shared/index.js';
import { type AccountRuntime, openAccount } from './account.js';
import type { ChannelAdapter, ChannelLogger } from './contract.js';
import type { RetryPolicy } from './delivery.js';
import type { QueuedChunk } from './outbound-queue.js';
import type { SleepFn } from './ports.js';

export interface AccountRuntimesOptions {
  paths: StatePaths;
  clock: Clock;
  logger: ChannelLogger;
  sleep: SleepFn;
  retry: RetryPolicy;
  /** The signal that stops the sends of an account opened now (the manager's current run). */
  signal(): AbortSignal;
  /** A chunk was tried and finally not delivered (see `OpenAccountDeps.onDeliveryFailed`). */
  onDeliveryFailed(channel: string, accountId: string, chunk: QueuedChunk, state: 'failed' | 'unknown'): void;
}

/**
 * The open accounts of a manager (pairing, dedupe, outbound queue and sender): each opened once, on
 * first use, and closed together on stop. Failing to open is not remembered: the next use tries again.
 */
export class AccountRuntimes {
  readonly #opening = new Map<string, Promise<AccountRuntime>>();
  readonly #opened = new Map<string, AccountRuntime>();

  constructor(private readonly options: AccountRuntimesOptions) {}

  /** The account's runtime, opening its files on first use. */
  get(adapter: ChannelAdapter, accountId: string): Promise<AccountRuntime> {
    const key = keyOf(adapter.channel, accountId);
    let opening = this.#opening.get(key);
    if (!opening) {
      const o = this.options;
      opening = openAccount(adapter, accountId, {
        paths: o.paths,
        clock: o.clock,
        logger: o.logger,
        sleep: o.sleep,
        signal: o.signal(),
        retry: o.retry,
        onDeliveryFailed: (chunk, state) => o.onDeliveryFailed(adapter.channel, accountId, chunk, state),
      });
      this.#opening.set(key, opening);
      opening.then(
        (rt) => this.#opened.set(key, rt),
        () => this.#opening.delete(key),
      );
    }
    return opening;
  }

  /** The runtime if it is open already (never opens one). */
  opened(channel: string, accountId: string): AccountRuntime | undefined {
    return this.#opened.get(keyOf(channel, accountId));
  }

  /** Resend chunks a previous process left unsent (flagging possible duplicates). Never throws. */
  async resume(adapter: ChannelAdapter, accountId: string): Promise<void> {
    const logger = this.options.logger;
    try {
      const rt = await this.get(adapter, accountId);
      const chunks = rt.queue.takeRecovered();
      if (chunks.length === 0) return;
      const duplicates = chunks.filter((c) => c.possibleDuplicate).length;
      logger.warn(
        { channel: adapter.channel, accountId, chunks: chunks.length, possibleDuplicates: duplicates },
        'resending outbound chunks left unsent by the previous run',
      );
      await rt.delivery.resume(chunks);
    } catch (err) {
      if (!this.options.signal().aborted) {
        logger.error(
          { channel: adapter.channel, accountId, error: errorMessage(err) },
          'outbound recovery failed',
        );
      }
    }
  }

  /** Close every account's files and forget them all. */
  async close(): Promise<void> {
    const runtimes = await Promise.allSettled(this.#opening.values());
    for (const r of runtimes) {
      if (r.status === 'fulfilled') await Promise.allSettled([r.value.dedupe.close(), r.value.queue.close()]);
    }
    this.#opening.clear();
    this.#opened.clear();
  }
}

function keyOf(channel: string, accountId: string): string {
  return `${channel}\u0000${accountId}`;
}
