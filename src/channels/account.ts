import { join } from 'node:path';
import type { StatePaths } from '../config/index.js';
import type { Clock } from '../shared/index.js';
import type { ChannelAdapter, ChannelLogger } from './contract.js';
import { DedupeStore } from './dedupe.js';
import { Delivery, type RetryPolicy } from './delivery.js';
import { OutboundQueue, type QueuedChunk } from './outbound-queue.js';
import { PairingStore } from './pairing.js';
import type { SleepFn } from './ports.js';

/** Counters of one account since start (shown by `channels.status`). */
export interface AccountStats {
  /** Inbound messages that entered the pipeline. */
  received: number;
  /** Inbound messages the pipeline finished with (dropped, paired, or answered). */
  handled: number;
  duplicates: number;
  dropped: number;
  pairingReplies: number;
  submitted: number;
  sent: number;
  /** Sends that failed and were tried again. */
  retries?: number;
  /** Chunks that finally failed or whose outcome is unknown. */
  sendFailures?: number;
  lastInboundAt?: number;
  lastOutboundAt?: number;
}

/** The state one channel account keeps: pairing, seen message ids, the outbound queue and its sender. */
export interface AccountRuntime {
  channel: string;
  accountId: string;
  pairing: PairingStore;
  dedupe: DedupeStore;
  queue: OutboundQueue;
  delivery: Delivery;
  stats: AccountStats;
}

/** A file-name-safe form of an account id. */
export function accountFileName(accountId: string): string {
  return encodeURIComponent(accountId).replace(/\./g, '%2E');
}

/** Where an account's files live. Pairing state is a credential; the rest is channel state. */
export function accountPaths(paths: StatePaths, channel: string, accountId: string) {
  const name = accountFileName(accountId);
  const stateDir = join(paths.stateDir, 'channels', accountFileName(channel), name);
  return {
    pairing: join(paths.credentialsDir, accountFileName(channel), `${name}-pairing.json`),
    dedupe: join(stateDir, 'inbound-seen.txt'),
    outbound: join(stateDir, 'outbound.jsonl'),
  };
}

export interface OpenAccountDeps {
  paths: StatePaths;
  clock: Clock;
  logger: ChannelLogger;
  sleep: SleepFn;
  signal: AbortSignal;
  retry?: RetryPolicy;
  /**
   * Called once per chunk that was tried and finally not delivered (`failed`: refused or out of retries;
   * `unknown`: response lost), with its recorded state (error, attempts). Chunks left unsent because an
   * earlier chunk of the same message failed are not reported separately.
   */
  onDeliveryFailed?: (chunk: QueuedChunk, state: 'failed' | 'unknown') => void;
}

/** Open (or create) the files of one account. */
export async function openAccount(
  adapter: ChannelAdapter,
  accountId: string,
  deps: OpenAccountDeps,
): Promise<AccountRuntime> {
  const files = accountPaths(deps.paths, adapter.channel, accountId);
  const [pairing, dedupe, queue] = await Promise.all([
    PairingStore.open(files.pairing, deps.clock),
    DedupeStore.open(files.dedupe),
    OutboundQueue.open(files.outbound, deps.clock),
  ]);
  const stats: AccountStats = {
    received: 0,
    handled: 0,
    duplicates: 0,
    dropped: 0,
    pairingReplies: 0,
    submitted: 0,
    sent: 0,
    retries: 0,
    sendFailures: 0,
  };
  const delivery = new Delivery({
    adapter,
    accountId,
    queue,
    logger: deps.logger,
    clock: deps.clock,
    sleep: deps.sleep,
    signal: deps.signal,
    ...(deps.retry ? { retry: deps.retry } : {}),
    onSent: () => {
      stats.sent++;
      stats.lastOutboundAt = deps.clock.now();
    },
    onRetry: () => {
      stats.retries = (stats.retries ?? 0) + 1;
    },
    onFailed: (chunk, state) => {
      stats.sendFailures = (stats.sendFailures ?? 0) + 1;
      const recorded = queue.get(chunk.id) ?? chunk;
      if (recorded.attempts > 0) deps.onDeliveryFailed?.(recorded, state);
    },
  });
  return { channel: adapter.channel, accountId, pairing, dedupe, queue, delivery, stats };
}
