import type {
  API,
  GatewayDispatchPayload,
  GatewayGuildCreateDispatchData,
  GatewayMessageCreateDispatchData,
} from '@discordjs/core';
import type { RateLimitData, REST } from '@discordjs/rest';
import type { WebSocketManager } from '@discordjs/ws';
import type { DiscordAccount, DiscordConfig, SecretRef } from '../../config/index.js';
import { type Clock, errorMessage, isCarapaceError } from '../../shared/index.js';
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

interface Account {
  id: string;
  fingerprint: string;
  abort: AbortController;
  sdk?: DiscordSdk;
  rest?: REST;
  api?: API;
  gateway?: WebSocketManager;
  self?: { id: string; username: string };
  directory: ChannelDirectory;
  status: AccountStatus;
}

const DEFAULT_API = 'https://discord.com/api';
const MAX_INIT_BACKOFF_MS = 5 * 60_000;
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
  readonly #accounts = new Map<string, Account>();
  readonly #loggedOut = new Map<string, string>();
  #host: AdapterHost | undefined;

  constructor(private readonly options: DiscordAdapterOptions) {}

  #configured(): Record<string, DiscordAccount> {
    const cfg = this.options.config();
    return cfg.enabled ? cfg.accounts : {};
  }

  accountIds(): string[] {
    return Object.entries(this.#configured())
      .filter(([, a]) => a.enabled)
      .map(([id]) => id);
  }

  policy(accountId: string): ChannelPolicy | undefined {
    const a = this.#configured()[accountId];
    if (!a?.enabled) return undefined;
    const directory = this.#accounts.get(accountId)?.directory ?? new ChannelDirectory();
    return {
      dmPolicy: a.dmPolicy,
      allowFrom: a.allowFrom,
      groups: directory.groups(a.guilds),
      mentionPatterns: a.mentionPatterns,
      historyLimit: a.historyLimit,
      ackReaction: a.ackReaction,
    };
  }

  selfIds(accountId: string): readonly string[] {
    const self = this.#accounts.get(accountId)?.self;
    return self ? [self.id] : [];
  }

  async start(host: AdapterHost): Promise<void> {
    this.#host = host;
    await this.reload();
  }

  async reload(): Promise<void> {
    if (!this.#host) return;
    const wanted = this.#configured();
    for (const [id, acc] of this.#accounts) {
      const cfg = wanted[id];
      if (!cfg?.enabled || fingerprint(cfg) !== acc.fingerprint) await this.#stopAccount(id);
    }
    for (const [id, cfg] of Object.entries(wanted)) {
      if (!cfg.enabled || this.#accounts.has(id)) continue;
      if (this.#loggedOut.get(id) === fingerprint(cfg)) continue;
      this.#loggedOut.delete(id);
      this.#launch(id, cfg);
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#accounts.keys()].map((id) => this.#stopAccount(id)));
    this.#host = undefined;
  }

  async logout(accountId: string): Promise<{ cleared: boolean }> {
    const cfg = this.#configured()[accountId];
    await this.#stopAccount(accountId);
    if (cfg) this.#loggedOut.set(accountId, fingerprint(cfg));
    // The token lives in config; there is no platform session to erase.
    return { cleared: false };
  }

  status(): AccountStatus[] {
    const cfg = this.options.config();
    return Object.entries(cfg.accounts).map(([id, a]) => {
      const running = this.#accounts.get(id);
      if (running) return { ...running.status };
      const s: AccountStatus = {
        channel: this.channel,
        accountId: id,
        enabled: cfg.enabled && a.enabled,
        configured: true,
        running: false,
        connected: false,
      };
      if (this.#loggedOut.has(id)) s.loggedOut = true;
      return s;
    });
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

  #launch(id: string, cfg: DiscordAccount): void {
    const acc: Account = {
      id,
      fingerprint: fingerprint(cfg),
      abort: new AbortController(),
      directory: new ChannelDirectory(),
      status: {
        channel: this.channel,
        accountId: id,
        enabled: true,
        configured: true,
        running: true,
        connected: false,
        lastStartAt: this.options.clock.now(),
      },
    };
    this.#accounts.set(id, acc);
    this.#connect(acc, cfg).catch((err) => this.#fail(acc, errorMessage(err)));
  }

  /** Resolve the token, learn the bot user (with backoff), then open the gateway. */
  async #connect(acc: Account, cfg: DiscordAccount): Promise<void> {
    let token: string;
    try {
      token = await this.options.resolveToken(cfg.botToken);
    } catch (err) {
      this.#fail(acc, `bot token: ${isCarapaceError(err) ? err.message : 'cannot be resolved'}`);
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
    for (let delay = 1000; !signal.aborted; delay = Math.min(delay * 2, MAX_INIT_BACKOFF_MS)) {
      try {
        const me = await api.users.getCurrent({ signal });
        acc.self = { id: me.id, username: me.username };
        break;
      } catch (err) {
        if (signal.aborted) return;
        this.#fail(acc, `GET /users/@me: ${sdk.describeError(err)}`);
        if (err instanceof sdk.DiscordAPIError && err.status === 401) {
          acc.status.running = false;
          return;
        }
        await this.options.sleep(delay, signal).catch(() => {});
      }
    }
    if (signal.aborted || !acc.self) return;
    acc.api = api;
    acc.status.self = { ...acc.self };
    const gateway = sdk.createGateway({ token, rest, gatewayUrl: cfg.gatewayUrl, signal });
    acc.gateway = gateway;
    this.#observe(acc, sdk, gateway);
    for (let delay = 1000; !signal.aborted; delay = Math.min(delay * 2, MAX_INIT_BACKOFF_MS)) {
      try {
        // connect() resolves at READY and may never settle while the gateway is unreachable: stop waiting on stop.
        await Promise.race([gateway.connect(), untilAborted(signal)]);
        break;
      } catch (err) {
        if (signal.aborted) return;
        this.#fail(acc, `gateway: ${sdk.describeError(err)}`);
        await this.options.sleep(delay, signal).catch(() => {});
      }
    }
  }

  #observe(acc: Account, sdk: DiscordSdk, gateway: WebSocketManager): void {
    const events = sdk.WebSocketShardEvents;
    const live = () => !acc.abort.signal.aborted;
    gateway.on(events.Ready, () => {
      if (!live()) return;
      acc.status.connected = true;
      this.#host?.logger.info(
        { channel: this.channel, accountId: acc.id, bot: acc.self?.username },
        'discord gateway ready',
      );
    });
    gateway.on(events.Resumed, () => {
      if (live()) acc.status.connected = true;
    });
    gateway.on(events.Closed, (code) => {
      if (live()) this.#fail(acc, `gateway closed (${code})`);
    });
    gateway.on(events.Error, (err) => {
      if (live()) this.#fail(acc, `gateway: ${sdk.describeError(err)}`);
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
      this.#host?.logger.error(
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
    if (!self || !this.#host) return;
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
    await this.#host.inbound(envelope);
  }

  /** The conversation of a guild channel: itself, or for a thread its parent (looked up once if unknown). */
  async #place(acc: Account, channelId: string, guildId: string): Promise<DiscordPlace> {
    let info = acc.directory.info(channelId);
    if (!info) {
      try {
        info = acc.directory.learn((await (acc.api as API).channels.get(channelId)) as ChannelLike, guildId);
      } catch (err) {
        this.#host?.logger.debug(
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

  #fail(acc: Account, error: string): void {
    acc.status.connected = false;
    acc.status.lastError = error;
    acc.status.lastErrorAt = this.options.clock.now();
    this.#host?.logger.warn({ channel: this.channel, accountId: acc.id, error }, 'discord account error');
  }

  async #stopAccount(id: string): Promise<void> {
    const acc = this.#accounts.get(id);
    if (!acc) return;
    this.#accounts.delete(id);
    acc.abort.abort();
    await Promise.resolve(acc.gateway?.destroy({ code: 1000, reason: 'carapace stopping' })).catch(() => {});
    acc.rest?.clearHashSweeper();
    acc.rest?.clearHandlerSweeper();
    acc.status.running = false;
    acc.status.connected = false;
  }
}
