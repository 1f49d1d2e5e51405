import type { Config, ConfigEnv, StatePaths } from '../config/index.js';
import type { ChannelDeliveryFailedEvent } from '../protocol/index.js';
import { CarapaceError, type Clock, errorMessage, newId, sleep, systemClock } from '../shared/index.js';
import { AccountRuntimes } from './account-runtimes.js';
import { accountOf, adapterOf } from './adapter-lookup.js';
import { createAdapters } from './builtin-adapters.js';
import { channelsStatus } from './channels-status.js';
import type { ChannelAdapter, ChannelLogger } from './contract.js';
import { DEFAULT_RETRY, type RetryPolicy } from './delivery.js';
import type {
  ChannelSendRequest,
  ChannelSendResult,
  ChannelsStatus,
  PairingApproveResult,
  PairingListEntry,
} from './manager-types.js';
import type { QueuedChunk } from './outbound-queue.js';
import { approveResult, pairingCodeNotFound, pendingEntries } from './pairing-views.js';
import { InboundPipeline, replyText } from './pipeline.js';
import { warnPolicyProblems } from './policy.js';
import { type EmitFn, type InboundSink, type ReplyTarget, type SleepFn, silentLogger } from './ports.js';
import { sendResult } from './send-result.js';

export interface ChannelManagerOptions {
  config(): Config;
  paths: StatePaths;
  sink: InboundSink;
  emit: EmitFn;
  logger?: ChannelLogger;
  clock?: Clock;
  /** A fetch for platform APIs (default: each SDK's own). */
  fetch?: typeof fetch;
  /** Environment for `{ source: 'env' }` secret refs (bot tokens). */
  env?: ConfigEnv;
  sleep?: SleepFn;
  /**
   * More adapters (beside Telegram, WhatsApp, Discord and Slack, which are always present and each read
   * their `channels.<name>` section; an adapter given here with the same channel name replaces them).
   */
  adapters?: ChannelAdapter[];
  retry?: Partial<RetryPolicy>;
  /** Telegram long-polling timeout in seconds (default 30). */
  telegramPollTimeoutSeconds?: number;
}

/**
 * Every channel adapter, the inbound pipeline and the durable outbound queues. `start()` starts the
 * adapters and resends what a previous process left unsent; `stop()` stops them. Account files live under
 * `<stateDir>/channels/<channel>/<account>/` and `<stateDir>/credentials/<channel>/`.
 */
export class ChannelManager {
  readonly #adapters: Map<string, ChannelAdapter>;
  readonly #runtimes: AccountRuntimes;
  readonly #pipeline: InboundPipeline;
  readonly #logger: ChannelLogger;
  readonly #clock: Clock;
  #abort = new AbortController();
  #started = false;
  /** Replies recorded before `start()`: sent once the adapters run. */
  #afterStart: (() => void)[] = [];

  constructor(private readonly options: ChannelManagerOptions) {
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    const sleepFn = options.sleep ?? sleep;
    this.#adapters = createAdapters(
      {
        config: options.config,
        paths: options.paths,
        clock: this.#clock,
        sleep: sleepFn,
        fetch: options.fetch,
        env: options.env,
        telegramPollTimeoutSeconds: options.telegramPollTimeoutSeconds,
      },
      options.adapters,
    );
    this.#runtimes = new AccountRuntimes({
      paths: options.paths,
      clock: this.#clock,
      logger: this.#logger,
      sleep: sleepFn,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      signal: () => this.#abort.signal,
      onDeliveryFailed: (channel, accountId, chunk, state) =>
        this.#deliveryFailed(channel, accountId, chunk, state),
    });
    this.#pipeline = new InboundPipeline({
      config: options.config,
      sink: options.sink,
      emit: options.emit,
      logger: this.#logger,
      clock: this.#clock,
      account: (adapter, accountId) => this.#runtimes.get(adapter, accountId),
    });
  }

  /** The adapters by channel name. */
  adapter(channel: string): ChannelAdapter | undefined {
    return this.#adapters.get(channel);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#abort = new AbortController();
    for (const adapter of this.#adapters.values()) {
      warnPolicyProblems(adapter, this.#logger);
      await adapter.start({
        inbound: (envelope) => this.#pipeline.handle(adapter, envelope),
        logger: this.#logger,
      });
      for (const accountId of adapter.accountIds()) void this.#runtimes.resume(adapter, accountId);
    }
    for (const send of this.#afterStart.splice(0)) send();
  }

  /**
   * Record the reply to an inbound message in the outbound queue (durably: a crash after this still
   * sends it) and send it in the background. Idempotent per `target.key`: the pipeline's own delivery of
   * the same reply finds it recorded and sends nothing twice. An empty reply is nothing to send.
   */
  async enqueueReply(target: ReplyTarget, result: { text: string } | { error: string }): Promise<void> {
    const text = replyText(result);
    if (!text.trim()) return;
    const adapter = adapterOf(this.#adapters, target.channel);
    const rt = await this.#runtimes.get(adapter, accountOf(adapter, target.accountId));
    const opts = { replyTo: target.replyTo, threadId: target.threadId };
    await rt.delivery.record(target.key, target.to, text, opts);
    const send = () => {
      rt.delivery.deliver(target.key, target.to, text, opts).catch((err) => {
        if (!this.#abort.signal.aborted)
          this.#logger.error({ ...target, error: errorMessage(err) }, 'reply delivery failed');
      });
    };
    if (this.#started) send();
    else this.#afterStart.push(send);
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#abort.abort(new CarapaceError('SHUTTING_DOWN', 'channels are stopping'));
    await Promise.allSettled([...this.#adapters.values()].map((a) => a.stop()));
    await this.#runtimes.close();
  }

  /** Apply a config change: adapters start added accounts and restart changed ones. Policies apply at once anyway. */
  async reload(): Promise<void> {
    if (!this.#started) return;
    for (const adapter of this.#adapters.values()) {
      warnPolicyProblems(adapter, this.#logger);
      await adapter.reload?.();
      for (const accountId of adapter.accountIds()) void this.#runtimes.resume(adapter, accountId);
    }
  }

  status(): ChannelsStatus {
    return channelsStatus(
      this.#adapters.values(),
      (channel, accountId) => this.#runtimes.opened(channel, accountId),
      this.#clock.now(),
    );
  }

  async logout(
    channel: string,
    accountId?: string,
  ): Promise<{ channel: string; accountId: string; cleared: boolean; loggedOut: true }> {
    const adapter = adapterOf(this.#adapters, channel);
    const id = accountOf(adapter, accountId);
    if (!adapter.logout) {
      throw new CarapaceError('CHANNEL_LOGOUT_UNSUPPORTED', `channel '${channel}' has no logout`, {
        details: { channel },
      });
    }
    const { cleared } = await adapter.logout(id);
    this.#logger.info({ channel, accountId: id }, 'channel account logged out');
    return { channel, accountId: id, cleared, loggedOut: true };
  }

  /** Send a message (the `send` method and the `message` tool), chunked, through the durable queue. */
  async send(req: ChannelSendRequest): Promise<ChannelSendResult> {
    const adapter = adapterOf(this.#adapters, req.channel);
    const accountId = accountOf(adapter, req.accountId);
    if (!req.text.trim()) throw new CarapaceError('INVALID_PARAMS', 'message is empty');
    const rt = await this.#runtimes.get(adapter, accountId);
    const key = `send:${req.idempotencyKey ?? newId()}`;
    const chunks = await rt.delivery.deliver(key, req.to, req.text);
    return sendResult(adapter.channel, accountId, req.to, chunks);
  }

  async pairingList(channel?: string): Promise<PairingListEntry[]> {
    const out: PairingListEntry[] = [];
    const adapters = channel ? [adapterOf(this.#adapters, channel)] : [...this.#adapters.values()];
    for (const adapter of adapters) {
      for (const accountId of adapter.accountIds()) {
        const rt = await this.#runtimes.get(adapter, accountId);
        out.push(...pendingEntries(adapter.channel, accountId, rt.pairing));
      }
    }
    return out;
  }

  /** Approve a pairing code: its sender may DM from now on, and is told so. */
  async pairingApprove(req: {
    channel: string;
    code: string;
    accountId?: string | undefined;
  }): Promise<PairingApproveResult> {
    const adapter = adapterOf(this.#adapters, req.channel);
    const ids = req.accountId ? [accountOf(adapter, req.accountId)] : adapter.accountIds();
    for (const accountId of ids) {
      const rt = await this.#runtimes.get(adapter, accountId);
      const found = await rt.pairing.approve(req.code);
      if (!found) continue;
      const { approved, request } = found;
      this.#logger.info({ channel: adapter.channel, accountId, senderId: approved.id }, 'pairing approved');
      rt.delivery
        .deliver(`paired:${request.code}`, request.peerId, 'Pairing approved. You can talk to me now.')
        .catch((err) =>
          this.#logger.warn(
            { channel: adapter.channel, accountId, error: errorMessage(err) },
            'pairing confirmation not sent',
          ),
        );
      return approveResult(adapter.channel, accountId, approved);
    }
    throw pairingCodeNotFound(req.channel, req.code);
  }

  /** Tell operator clients that a message finally was not delivered (also logged and in `channels.status`). */
  #deliveryFailed(channel: string, accountId: string, chunk: QueuedChunk, state: 'failed' | 'unknown'): void {
    const event: ChannelDeliveryFailedEvent = {
      channel,
      accountId,
      to: chunk.to,
      key: chunk.key,
      chunk: chunk.index,
      chunks: chunk.count,
      state,
      error: chunk.error ?? state,
      attempts: chunk.attempts,
      ts: this.#clock.now(),
    };
    this.options.emit('channels.delivery.failed', event);
  }
}
