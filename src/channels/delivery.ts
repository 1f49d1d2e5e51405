import { type Clock, errorMessage } from '../shared/index.js';
import { chunkText } from './chunk.js';
import { type ChannelAdapter, type ChannelLogger, sendOutcomeOf } from './contract.js';
import type { OutboundQueue, QueuedChunk } from './outbound-queue.js';
import type { SleepFn } from './ports.js';

/** Retry settings of outbound sends. */
export interface RetryPolicy {
  /** Tries per chunk, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A platform asking to wait longer than this (429 retry_after) fails the chunk instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 5 * 60_000,
};

export interface DeliveryDeps {
  adapter: ChannelAdapter;
  accountId: string;
  queue: OutboundQueue;
  logger: ChannelLogger;
  clock: Clock;
  sleep: SleepFn;
  signal: AbortSignal;
  retry?: RetryPolicy;
  /** Called after each chunk is delivered (for status). */
  onSent?: (chunk: QueuedChunk) => void;
  /** Called when a send failed and will be retried (for status and metrics). */
  onRetry?: (chunk: QueuedChunk) => void;
  /** Called when a chunk ends `failed` or `unknown` (for status and metrics). */
  onFailed?: (chunk: QueuedChunk, state: 'failed' | 'unknown') => void;
}

/**
 * The outbound pipeline of one account: chunk → record → send with retry → mark → receipt. Sends to one
 * conversation go one chunk at a time, in order. A 429's `retryAfterMs` is honoured; other retryable
 * failures back off exponentially with jitter. An `unknown` outcome (lost response) is never retried.
 */
export class Delivery {
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #retry: RetryPolicy;

  constructor(private readonly deps: DeliveryDeps) {
    this.#retry = deps.retry ?? DEFAULT_RETRY;
  }

  /** Chunk `text` for the platform, record the chunks under `key` and deliver them. */
  async deliver(
    key: string,
    to: string,
    text: string,
    opts: { replyTo?: string | undefined; threadId?: string | undefined } = {},
  ): Promise<QueuedChunk[]> {
    const chunks = await this.record(key, to, text, opts);
    await this.#inOrder(to, () => this.#sendAll(chunks));
    return this.deps.queue.byKey(key);
  }

  /** Chunk `text` and record the chunks under `key` (durably) without sending; a known key keeps its chunks. */
  record(
    key: string,
    to: string,
    text: string,
    opts: { replyTo?: string | undefined; threadId?: string | undefined } = {},
  ): Promise<QueuedChunk[]> {
    return this.deps.queue.enqueue(key, to, chunkText(text, this.deps.adapter.capabilities.textLimit), opts);
  }

  /** Send chunks a previous process left unfinished. */
  async resume(chunks: readonly QueuedChunk[]): Promise<void> {
    const byTo = new Map<string, QueuedChunk[]>();
    for (const c of chunks) byTo.set(c.to, [...(byTo.get(c.to) ?? []), c]);
    await Promise.all([...byTo].map(([to, list]) => this.#inOrder(to, () => this.#sendAll(list))));
  }

  async #inOrder<T>(to: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(to) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => {});
    this.#chains.set(to, settled);
    void settled.then(() => {
      if (this.#chains.get(to) === settled) this.#chains.delete(to);
    });
    return run;
  }

  async #sendAll(chunks: readonly QueuedChunk[]): Promise<void> {
    let refused: string | undefined;
    for (const chunk of chunks) {
      if (chunk.state !== 'queued' && chunk.state !== 'sending') continue;
      if (refused !== undefined) {
        await this.deps.queue.markFailed(chunk.id, `not sent: an earlier chunk failed (${refused})`);
        this.deps.onFailed?.(chunk, 'failed');
        continue;
      }
      const state = await this.#sendOne(chunk);
      if (state === 'failed') refused = chunk.error ?? 'failed';
    }
  }

  async #sendOne(chunk: QueuedChunk): Promise<QueuedChunk['state']> {
    const { adapter, accountId, queue, logger } = this.deps;
    const where = { channel: adapter.channel, accountId, to: chunk.to, chunk: chunk.id };
    for (let attempt = 1; ; attempt++) {
      this.deps.signal.throwIfAborted();
      await queue.markSending(chunk.id);
      try {
        const sent = await adapter.send(accountId, {
          to: chunk.to,
          text: chunk.text,
          replyTo: chunk.replyTo,
          threadId: chunk.threadId,
        });
        await queue.markSent(chunk.id, sent.messageId);
        const receipt = {
          ...where,
          messageId: sent.messageId,
          part: `${chunk.index + 1}/${chunk.count}`,
          attempts: chunk.attempts,
        };
        if (chunk.possibleDuplicate)
          logger.warn(
            { ...receipt, possibleDuplicate: true },
            'channel delivery receipt (possible duplicate after restart)',
          );
        else logger.info(receipt, 'channel delivery receipt');
        this.deps.onSent?.(chunk);
        return 'sent';
      } catch (err) {
        const outcome = sendOutcomeOf(err);
        const message = errorMessage(err);
        if (outcome === 'unknown') {
          await queue.markUnknown(chunk.id, message);
          this.deps.onFailed?.(chunk, 'unknown');
          logger.warn(
            { ...where, error: message },
            'channel delivery outcome unknown (response lost); not resent',
          );
          return 'unknown';
        }
        const wait = this.#waitBefore(attempt, err);
        if (outcome === 'fatal' || wait === undefined) {
          await queue.markFailed(chunk.id, message);
          this.deps.onFailed?.(chunk, 'failed');
          logger.error({ ...where, error: message, attempts: attempt }, 'channel delivery failed');
          return 'failed';
        }
        await queue.markRetry(chunk.id);
        this.deps.onRetry?.(chunk);
        logger.warn({ ...where, error: message, attempt, retryInMs: wait }, 'channel send failed; retrying');
        await this.deps.sleep(wait, this.deps.signal);
      }
    }
  }

  /** How long to wait before the next try, or undefined when the chunk should fail now. */
  #waitBefore(attempt: number, err: unknown): number | undefined {
    const r = this.#retry;
    if (attempt >= r.maxAttempts) return undefined;
    const asked = (err as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof asked === 'number' && asked >= 0) return asked > r.maxRetryAfterMs ? undefined : asked;
    const backoff = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(backoff * (0.8 + Math.random() * 0.4));
  }
}
