import {
  type Config,
  type ConfigEnv,
  resolveSecret,
  type SecretRef,
  type StatePaths,
} from '../config/index.js';
import type { ChannelDeliveryFailedEvent } from '../protocol/index.js';
import { CarapaceError, type Clock, errorMessage, newId, sleep, systemClock } from '../shared/index.js';
import { type AccountRuntime, openAccount } from './account.js';
import type { ChannelAdapter, ChannelLogger } from './contract.js';
import { DEFAULT_RETRY, type RetryPolicy } from './delivery.js';
import { DiscordAdapter } from './discord/adapter.js';
import type {
  AccountStatusView,
  ChannelSendRequest,
  ChannelSendResult,
  ChannelsStatus,
  PairingApproveResult,
  PairingListEntry,
} from './manager-types.js';
import type { QueuedChunk } from './outbound-queue.js';
import { InboundPipeline, replyText } from './pipeline.js';
import { invalidMentionPatterns } from './policy.js';
import { type EmitFn, type InboundSink, type ReplyTarget, type SleepFn, silentLogger } from './ports.js';
import { SlackAdapter } from './slack/adapter.js';
import { TelegramAdapter } from './telegram/adapter.js';
import { WhatsAppAdapter } from './whatsapp/adapter.js';

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
  readonly #adapters = new Map<string, ChannelAdapter>();
  readonly #accounts = new Map<string, Promise<AccountRuntime>>();
  readonly #opened = new Map<string, AccountRuntime>();
  readonly #pipeline: InboundPipeline;
  readonly #logger: ChannelLogger;
  readonly #clock: Clock;
  readonly #sleep: SleepFn;
  readonly #retry: RetryPolicy;
  #abort = new AbortController();
  #started = false;
  /** Replies recorded before `start()`: sent once the adapters run. */
  #afterStart: (() => void)[] = [];

  constructor(private readonly options: ChannelManagerOptions) {
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? sleep;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    for (const a of options.adapters ?? []) this.#adapters.set(a.channel, a);
    if (!this.#adapters.has('telegram')) {
      const telegram = new TelegramAdapter({
        config: () => options.config().channels.telegram,
        resolveToken: (ref) => resolveSecret(ref, options.env ?? {}),
        clock: this.#clock,
        sleep: this.#sleep,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.telegramPollTimeoutSeconds
          ? { pollTimeoutSeconds: options.telegramPollTimeoutSeconds }
          : {}),
      });
      this.#adapters.set(telegram.channel, telegram);
    }
    const deps = {
      clock: this.#clock,
      sleep: this.#sleep,
      resolveToken: (ref: SecretRef) => resolveSecret(ref, options.env ?? {}),
    };
    const channels = () => options.config().channels;
    if (!this.#adapters.has('discord'))
      this.#adapters.set('discord', new DiscordAdapter({ ...deps, config: () => channels().discord }));
    if (!this.#adapters.has('slack'))
      this.#adapters.set('slack', new SlackAdapter({ ...deps, config: () => channels().slack }));
    if (!this.#adapters.has('whatsapp')) {
      const whatsapp = new WhatsAppAdapter({
        config: () => options.config().channels.whatsapp,
        credentialsDir: options.paths.credentialsDir,
        clock: this.#clock,
        sleep: this.#sleep,
      });
      this.#adapters.set(whatsapp.channel, whatsapp);
    }
    this.#pipeline = new InboundPipeline({
      config: options.config,
      sink: options.sink,
      emit: options.emit,
      logger: this.#logger,
      clock: this.#clock,
      account: (adapter, accountId) => this.#account(adapter, accountId),
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
      this.#checkPolicies(adapter);
      await adapter.start({
        inbound: (envelope) => this.#pipeline.handle(adapter, envelope),
        logger: this.#logger,
      });
      for (const accountId of adapter.accountIds()) void this.#resume(adapter, accountId);
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
    const adapter = this.#adapterOf(target.channel);
    const rt = await this.#account(adapter, this.#accountOf(adapter, target.accountId));
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
    const runtimes = await Promise.allSettled(this.#accounts.values());
    for (const r of runtimes) {
      if (r.status === 'fulfilled') await Promise.allSettled([r.value.dedupe.close(), r.value.queue.close()]);
    }
    this.#accounts.clear();
    this.#opened.clear();
  }

  /** Apply a config change: adapters start added accounts and restart changed ones. Policies apply at once anyway. */
  async reload(): Promise<void> {
    if (!this.#started) return;
    for (const adapter of this.#adapters.values()) {
      this.#checkPolicies(adapter);
      await adapter.reload?.();
      for (const accountId of adapter.accountIds()) void this.#resume(adapter, accountId);
    }
  }

  status(): ChannelsStatus {
    const out: ChannelsStatus = { ts: this.#clock.now(), channels: {}, channelAccounts: {} };
    for (const adapter of this.#adapters.values()) {
      const accounts: AccountStatusView[] = adapter.status().map((s) => {
        const rt = this.#opened.get(this.#key(adapter.channel, s.accountId));
        if (!rt) return s;
        const { lastFailure, ...counts } = rt.queue.summary();
        const view: AccountStatusView = { ...s, stats: { ...rt.stats, ...counts } };
        if (lastFailure && view.stats) {
          view.stats.lastFailedAt = lastFailure.at;
          if (lastFailure.at >= (s.lastErrorAt ?? 0)) {
            const what = lastFailure.state === 'failed' ? 'delivery failed' : 'delivery outcome unknown';
            view.lastError = `${what}: ${lastFailure.error}`;
            view.lastErrorAt = lastFailure.at;
          }
        }
        view.lastInboundAt = Math.max(s.lastInboundAt ?? 0, rt.stats.lastInboundAt ?? 0) || undefined;
        view.lastOutboundAt = Math.max(s.lastOutboundAt ?? 0, rt.stats.lastOutboundAt ?? 0) || undefined;
        if (view.lastInboundAt === undefined) delete view.lastInboundAt;
        if (view.lastOutboundAt === undefined) delete view.lastOutboundAt;
        return view;
      });
      if (accounts.length === 0 && adapter.channel !== 'telegram') continue;
      out.channelAccounts[adapter.channel] = accounts;
      out.channels[adapter.channel] = {
        configured: accounts.some((a) => a.configured),
        running: accounts.some((a) => a.running),
        connected: accounts.some((a) => a.connected),
        accounts: accounts.length,
      };
    }
    return out;
  }

  async logout(
    channel: string,
    accountId?: string,
  ): Promise<{ channel: string; accountId: string; cleared: boolean; loggedOut: true }> {
    const adapter = this.#adapterOf(channel);
    const id = this.#accountOf(adapter, accountId);
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
    const adapter = this.#adapterOf(req.channel);
    const accountId = this.#accountOf(adapter, req.accountId);
    if (!req.text.trim()) throw new CarapaceError('INVALID_PARAMS', 'message is empty');
    const rt = await this.#account(adapter, accountId);
    const key = `send:${req.idempotencyKey ?? newId()}`;
    const chunks = await rt.delivery.deliver(key, req.to, req.text);
    return this.#sendResult(adapter.channel, accountId, req.to, chunks);
  }

  async pairingList(channel?: string): Promise<PairingListEntry[]> {
    const out: PairingListEntry[] = [];
    const adapters = channel ? [this.#adapterOf(channel)] : [...this.#adapters.values()];
    for (const adapter of adapters) {
      for (const accountId of adapter.accountIds()) {
        const rt = await this.#account(adapter, accountId);
        for (const p of rt.pairing.pending()) {
          const entry: PairingListEntry = {
            channel: adapter.channel,
            accountId,
            code: p.code,
            senderId: p.senderId,
            createdAt: p.createdAt,
            expiresAt: p.expiresAt,
          };
          if (p.senderName) entry.senderName = p.senderName;
          out.push(entry);
        }
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
    const adapter = this.#adapterOf(req.channel);
    const ids = req.accountId ? [this.#accountOf(adapter, req.accountId)] : adapter.accountIds();
    for (const accountId of ids) {
      const rt = await this.#account(adapter, accountId);
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
      const result: PairingApproveResult = {
        channel: adapter.channel,
        accountId,
        senderId: approved.id,
        approvedAt: approved.approvedAt,
      };
      if (approved.name) result.senderName = approved.name;
      return result;
    }
    throw new CarapaceError(
      'PAIRING_CODE_NOT_FOUND',
      `no pending pairing code '${req.code}' on ${req.channel} (codes expire after an hour)`,
      {
        details: { channel: req.channel },
      },
    );
  }

  #sendResult(channel: string, accountId: string, to: string, chunks: QueuedChunk[]): ChannelSendResult {
    const failed = chunks.find((c) => c.state === 'failed' || c.state === 'queued' || c.state === 'sending');
    if (failed) {
      throw new CarapaceError(
        'CHANNEL_SEND_FAILED',
        `${channel} send failed: ${failed.error ?? 'not delivered'}`,
        {
          details: { channel, accountId, to, chunk: failed.index, of: failed.count },
        },
      );
    }
    const unknown = chunks.find((c) => c.state === 'unknown');
    if (unknown) {
      throw new CarapaceError(
        'CHANNEL_DELIVERY_UNKNOWN',
        `${channel} send: the platform's answer was lost; the message may or may not have arrived (not resent, to avoid a duplicate)`,
        {
          details: { channel, accountId, to, chunk: unknown.index, of: unknown.count },
        },
      );
    }
    const messageIds = chunks.map((c) => c.messageId ?? '');
    return { channel, accountId, to, messageId: messageIds.at(-1) ?? '', messageIds, chunks: chunks.length };
  }

  #adapterOf(channel: string | undefined): ChannelAdapter {
    if (channel) {
      const adapter = this.#adapters.get(channel);
      if (!adapter) {
        throw new CarapaceError(
          'CHANNEL_NOT_FOUND',
          `unknown channel '${channel}' (known: ${[...this.#adapters.keys()].join(', ')})`,
          {
            details: { channel },
          },
        );
      }
      return adapter;
    }
    const withAccounts = [...this.#adapters.values()].filter((a) => a.accountIds().length > 0);
    if (withAccounts.length === 1 && withAccounts[0]) return withAccounts[0];
    throw new CarapaceError(
      'CHANNEL_REQUIRED',
      `name a channel (configured: ${withAccounts.map((a) => a.channel).join(', ') || 'none'})`,
    );
  }

  #accountOf(adapter: ChannelAdapter, accountId: string | undefined): string {
    const ids = adapter.accountIds();
    if (accountId !== undefined) {
      if (ids.includes(accountId)) return accountId;
      throw new CarapaceError(
        'CHANNEL_ACCOUNT_NOT_FOUND',
        `${adapter.channel} has no enabled account '${accountId}' (accounts: ${ids.join(', ') || 'none'})`,
        {
          details: { channel: adapter.channel, accountId },
        },
      );
    }
    const chosen = ids.includes('default') ? 'default' : ids[0];
    if (chosen === undefined) {
      throw new CarapaceError('CHANNEL_ACCOUNT_NOT_FOUND', `${adapter.channel} has no enabled account`, {
        details: { channel: adapter.channel },
      });
    }
    return chosen;
  }

  #key(channel: string, accountId: string): string {
    return `${channel}\u0000${accountId}`;
  }

  #account(adapter: ChannelAdapter, accountId: string): Promise<AccountRuntime> {
    const key = this.#key(adapter.channel, accountId);
    let opening = this.#accounts.get(key);
    if (!opening) {
      opening = openAccount(adapter, accountId, {
        paths: this.options.paths,
        clock: this.#clock,
        logger: this.#logger,
        sleep: this.#sleep,
        signal: this.#abort.signal,
        retry: this.#retry,
        onDeliveryFailed: (chunk, state) => this.#deliveryFailed(adapter.channel, accountId, chunk, state),
      });
      this.#accounts.set(key, opening);
      opening.then(
        (rt) => this.#opened.set(key, rt),
        () => this.#accounts.delete(key),
      );
    }
    return opening;
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

  /** Resend chunks a previous process left unsent (flagging possible duplicates). */
  async #resume(adapter: ChannelAdapter, accountId: string): Promise<void> {
    try {
      const rt = await this.#account(adapter, accountId);
      const chunks = rt.queue.takeRecovered();
      if (chunks.length === 0) return;
      const duplicates = chunks.filter((c) => c.possibleDuplicate).length;
      this.#logger.warn(
        { channel: adapter.channel, accountId, chunks: chunks.length, possibleDuplicates: duplicates },
        'resending outbound chunks left unsent by the previous run',
      );
      await rt.delivery.resume(chunks);
    } catch (err) {
      if (!this.#abort.signal.aborted) {
        this.#logger.error(
          { channel: adapter.channel, accountId, error: errorMessage(err) },
          'outbound recovery failed',
        );
      }
    }
  }

  #checkPolicies(adapter: ChannelAdapter): void {
    for (const accountId of adapter.accountIds()) {
      const policy = adapter.policy(accountId);
      if (!policy) continue;
      const bad = invalidMentionPatterns(policy);
      if (bad.length > 0)
        this.#logger.warn(
          { channel: adapter.channel, accountId, patterns: bad },
          'mention patterns that are not valid regular expressions are ignored',
        );
      const names = policy.allowFrom.filter((id) => id.startsWith('@'));
      if (names.length > 0)
        this.#logger.warn(
          { channel: adapter.channel, accountId, entries: names },
          'allowFrom entries that look like usernames never match: use stable ids',
        );
    }
  }
}
