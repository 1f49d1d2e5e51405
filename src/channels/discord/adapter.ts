import type {
  API,
  GatewayDispatchPayload,
  GatewayGuildCreateDispatchData,
  GatewayMessageCreateDispatchData,
} from '@discordjs/core';
import type { RateLimitData, REST } from '@discordjs/rest';
import type { WebSocketManager } from '@discordjs/ws';
import type { DiscordAccount, DiscordConfig, SecretRef } from '../../config/index.js';
import { type Clock, isCarapaceError } from '../../shared/index.js';
import { AccountLifecycle, type LiveAccount, retryWithBackoff } from '../account-lifecycle.js';
import type {
  AccountStatus,
  AdapterHost,
  ChannelAdapter,
  ChannelCapabilities,
  ChannelPolicy,
  OutboundMessage,
  SentMessage,
} from '../contract.js';
import { channelSendError } from '../contract.js';
import { accountPolicy } from '../policy.js';
import type { SleepFn } from '../ports.js';
import { ChannelDirectory, type ChannelLike } from './directory.js';
import { type DiscordPlace, normalizeDiscordMessage } from './normalize.js';
import {
  addReaction,
  type DiscordOutbound,
  type DiscordSdk,
  sendDiscordMessage,
  showTyping,
} from './outbound.js';

export interface DiscordAdapterOptions {
  /** The `channels.discord` section, read on every use so edits apply. */
  config(): DiscordConfig;
  /** Resolves a bot token reference; the token is never logged. */
  resolveToken(ref: SecretRef): Promise<string>;
  clock: Clock;
  sleep: SleepFn;
}

interface Account extends LiveAccount {
  sdk?: DiscordSdk;
  rest?: REST;
  api?: API;
  gateway?: WebSocketManager;
  self?: { id: string; username: string };
  directory: ChannelDirectory;
}

const DEFAULT_API = 'https://discord.com/api';
/** Rate-limit waits longer than this fail the send (the durable queue retries later) instead of blocking. */
const MAX_QUEUED_RATE_LIMIT_MS = 10_000;

function fingerprint(cfg: DiscordAccount): string {
  return JSON.stringify([cfg.botToken, cfg.apiUrl ?? '', cfg.gatewayUrl ?? '']);
}

/** Resolves when `signal` aborts. */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Discord over @discordjs/core: REST (`@discordjs/rest`) for sending and the gateway (`@discordjs/ws`)
 * for receiving, one bot per account. DMs are keyed by the user; guild channels are groups gated by the
 * guild allowlist and mentions; a thread is a thread of its parent channel and replies go into it.
 * Replies are Discord Markdown as-is (2,000 characters a message) with @everyone/role pings disabled.
 */
export class DiscordAdapter implements ChannelAdapter {
  readonly channel = 'discord';
  readonly capabilities: ChannelCapabilities = {
    textLimit: 2000,
    format: 'markdown',
    typing: true,
    reactions: true,
    replyThreading: true,
  };
  readonly #accounts: AccountLifecycle<DiscordAccount, Account>;

  constructor(private readonly options: DiscordAdapterOptions) {
    this.#accounts = new AccountLifecycle<DiscordAccount, Account>({
      channel: this.channel,
      config: options.config,
      fingerprint,
      clock: options.clock,
      create: (base) => ({ ...base, directory: new ChannelDirectory() }),
      connect: (acc, cfg) => this.#connect(acc, cfg),
      close: async (acc) => {
        await Promise.resolve(acc.gateway?.destroy({ code: 1000, reason: 'carapace stopping' })).catch(
          () => {},
        );
        acc.rest?.clearHashSweeper();
        acc.rest?.clearHandlerSweeper();
      },
    });
  }

  accountIds(): string[] {
    return this.#accounts.accountIds();
  }

  policy(accountId: string): ChannelPolicy | undefined {
    const a = this.#accounts.enabledConfig(accountId);
    if (!a) return undefined;
    const directory = this.#accounts.get(accountId)?.directory ?? new ChannelDirectory();
    return accountPolicy(a, directory.groups(a.guilds));
  }

  selfIds(accountId: string): readonly string[] {
    const self = this.#accounts.get(accountId)?.self;
    return self ? [self.id] : [];
  }

  start(host: AdapterHost): Promise<void> {
    return this.#accounts.start(host);
  }

  reload(): Promise<void> {
    return this.#accounts.reload();
  }

  stop(): Promise<void> {
    return this.#accounts.stop();
  }

  logout(accountId: string): Promise<{ cleared: boolean }> {
    return this.#accounts.logout(accountId);
  }

  status(): AccountStatus[] {
    return this.#accounts.status();
  }

  async send(accountId: string, message: OutboundMessage): Promise<SentMessage> {
    return sendDiscordMessage(this.#running(accountId), message);
  }

  async typing(accountId: string, to: string): Promise<void> {
    await showTyping(this.#running(accountId), to);
  }

  async react(accountId: string, to: string, messageId: string, emoji: string): Promise<void> {
    await addReaction(this.#running(accountId), to, messageId, emoji);
  }

  /** The outbound side of a running account; a `retry` send error while it is not (yet) connected. */
  #running(accountId: string): DiscordOutbound {
    const acc = this.#accounts.get(accountId);
    if (!acc?.api || !acc.sdk)
      throw channelSendError('retry', `discord account '${accountId}' is not running`);
    return { api: acc.api, sdk: acc.sdk, directory: acc.directory };
  }

  /** Resolve the token, learn the bot user (with backoff), then open the gateway. */
  async #connect(acc: Account, cfg: DiscordAccount): Promise<void> {
    let token: string;
    try {
      token = await this.options.resolveToken(cfg.botToken);
    } catch (err) {
      this.#accounts.fail(acc, `bot token: ${isCarapaceError(err) ? err.message : 'cannot be resolved'}`);
      acc.status.running = false;
      return;
    }
    const sdk = await import('./sdk.js');
    acc.sdk = sdk;
    const rest = new sdk.REST({
      api: (cfg.apiUrl ?? DEFAULT_API).replace(/\/+$/, ''),
      // The durable outbound queue retries; REST itself must not resend a request.
      retries: 0,
      rejectOnRateLimit: (limit: RateLimitData) => limit.retryAfter > MAX_QUEUED_RATE_LIMIT_MS,
    }).setToken(token);
    const api = new sdk.API(rest);
    acc.rest = rest;
    const signal = acc.abort.signal;
    const known = await retryWithBackoff(
      signal,
      this.options.sleep,
      async () => {
        const me = await api.users.getCurrent({ signal });
        acc.self = { id: me.id, username: me.username };
      },
      (err) => {
        this.#accounts.fail(acc, `GET /users/@me: ${sdk.describeError(err)}`);
        const refused = err instanceof sdk.DiscordAPIError && err.status === 401;
        if (refused) acc.status.running = false;
        return refused;
      },
    );
    if (!known || signal.aborted || !acc.self) return;
    acc.api = api;
    acc.status.self = { ...acc.self };
    const gateway = sdk.createGateway({ token, rest, gatewayUrl: cfg.gatewayUrl, signal });
    acc.gateway = gateway;
    this.#observe(acc, sdk, gateway);
    // connect() resolves at READY and may never settle while the gateway is unreachable: stop waiting on stop.
    await retryWithBackoff(
      signal,
      this.options.sleep,
      () => Promise.race([gateway.connect(), untilAborted(signal)]),
      (err) => {
        this.#accounts.fail(acc, `gateway: ${sdk.describeError(err)}`);
        return false;
      },
    );
  }

  #observe(acc: Account, sdk: DiscordSdk, gateway: WebSocketManager): void {
    const events = sdk.WebSocketShardEvents;
    const live = () => !acc.abort.signal.aborted;
    gateway.on(events.Ready, () => {
      if (!live()) return;
      acc.status.connected = true;
      this.#accounts.host?.logger.info(
        { channel: this.channel, accountId: acc.id, bot: acc.self?.username },
        'discord gateway ready',
      );
    });
    gateway.on(events.Resumed, () => {
      if (live()) acc.status.connected = true;
    });
    gateway.on(events.Closed, (code) => {
      if (live()) this.#accounts.fail(acc, `gateway closed (${code})`);
    });
    gateway.on(events.Error, (err) => {
      if (live()) this.#accounts.fail(acc, `gateway: ${sdk.describeError(err)}`);
    });
    gateway.on(events.Dispatch, (payload) => {
      if (live()) void this.#dispatch(acc, payload);
    });
  }

  async #dispatch(acc: Account, payload: GatewayDispatchPayload): Promise<void> {
    try {
      switch (payload.t) {
        case 'GUILD_CREATE':
          this.#learnGuild(acc, payload.d);
          break;
        case 'CHANNEL_CREATE':
        case 'CHANNEL_UPDATE':
        case 'THREAD_CREATE':
        case 'THREAD_UPDATE':
          acc.directory.learn(payload.d as ChannelLike);
          break;
        case 'MESSAGE_CREATE':
          await this.#message(acc, payload.d);
          break;
        default:
          break;
      }
    } catch (err) {
      this.#accounts.host?.logger.error(
        { channel: this.channel, accountId: acc.id, event: payload.t, error: acc.sdk?.describeError(err) },
        'discord event failed',
      );
    }
  }

  #learnGuild(acc: Account, guild: GatewayGuildCreateDispatchData): void {
    if ('unavailable' in guild && guild.unavailable) return;
    for (const c of guild.channels ?? []) acc.directory.learn(c as ChannelLike, guild.id);
    for (const t of guild.threads ?? []) acc.directory.learn(t as ChannelLike, guild.id);
  }

  async #message(acc: Account, msg: GatewayMessageCreateDispatchData): Promise<void> {
    const self = acc.self;
    if (!self || !this.#accounts.host) return;
    const now = this.options.clock.now();
    let place: DiscordPlace | undefined;
    if (msg.guild_id === undefined) {
      if (!msg.author.bot) acc.directory.dm(msg.author.id, msg.channel_id);
    } else {
      place = await this.#place(acc, msg.channel_id, msg.guild_id);
      acc.directory.room(place.peerId, msg.guild_id);
    }
    const envelope = normalizeDiscordMessage(msg, {
      accountId: acc.id,
      self,
      receivedAt: now,
      ...(place ? { place } : {}),
    });
    if (!envelope) return;
    acc.status.lastInboundAt = now;
    acc.directory.message(msg.id, msg.channel_id);
    await this.#accounts.host?.inbound(envelope);
  }

  /** The conversation of a guild channel: itself, or for a thread its parent (looked up once if unknown). */
  async #place(acc: Account, channelId: string, guildId: string): Promise<DiscordPlace> {
    let info = acc.directory.info(channelId);
    if (!info) {
      try {
        info = acc.directory.learn((await (acc.api as API).channels.get(channelId)) as ChannelLike, guildId);
      } catch (err) {
        this.#accounts.host?.logger.debug(
          { channel: this.channel, accountId: acc.id, channelId, error: acc.sdk?.describeError(err) },
          'discord channel lookup failed; treating it as a plain channel',
        );
        info = acc.directory.learn({ id: channelId, type: 0, guild_id: guildId });
      }
    }
    return info.thread && info.parentId
      ? { peerId: info.parentId, threadId: channelId }
      : { peerId: channelId };
  }
}
