import type { webApi } from '@slack/bolt';
import type { SecretRef, SlackAccount, SlackConfig } from '../../config/index.js';
import { BoundedMap, type Clock, isCarapaceError } from '../../shared/index.js';
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
import type { SlackConnection } from './connection.js';
import { describeError, FATAL_AUTH, platformError, slackLogger, toSendError } from './errors.js';
import { markdownToSlackMrkdwn } from './format.js';
import { normalizeSlackMessage, type SlackMessageEvent, type SlackSelf } from './normalize.js';

export interface SlackAdapterOptions {
  /** The `channels.slack` section, read on every use so edits apply. */
  config(): SlackConfig;
  /** Resolves token and secret references; they are never logged. */
  resolveToken(ref: SecretRef): Promise<string>;
  clock: Clock;
  sleep: SleepFn;
}

interface Account extends LiveAccount {
  client?: webApi.WebClient;
  conn?: SlackConnection;
  self?: SlackSelf;
  /** User id → DM channel id (D…), learned from inbound DMs. */
  dms: BoundedMap<string, string>;
  /** Recent inbound message ts → channel id (reactions need the real channel). */
  messages: BoundedMap<string, string>;
}

const MAX_REMEMBERED = 5_000;
/** A few Unicode emoji by their Slack names (Slack reactions take names, not characters). */
const EMOJI_NAMES: Readonly<Record<string, string>> = {
  '👀': 'eyes',
  '👍': '+1',
  '✅': 'white_check_mark',
  '🤔': 'thinking_face',
  '❤️': 'heart',
  '🙏': 'pray',
  '⏳': 'hourglass_flowing_sand',
};

function fingerprint(cfg: SlackAccount): string {
  return JSON.stringify([
    cfg.mode,
    cfg.botToken,
    cfg.appToken ?? '',
    cfg.signingSecret ?? '',
    cfg.apiUrl ?? '',
    cfg.http,
  ]);
}

/**
 * Slack over Bolt: one App per account (one workspace each), socket mode by default or the HTTP Events
 * API. DMs are keyed by the user; channels, private channels and group DMs are groups gated by the
 * channel allowlist and mentions (`<@bot>`); a thread (`thread_ts`) is answered in the thread. Replies
 * are Slack mrkdwn. Tokens and secrets are only handed to the Slack clients, never logged.
 */
export class SlackAdapter implements ChannelAdapter {
  readonly channel = 'slack';
  readonly capabilities: ChannelCapabilities = {
    // Slack accepts 40,000 characters; beyond ~4,000 a message is hard to read and gets truncated in places.
    textLimit: 4000,
    format: 'markdown',
    typing: false,
    reactions: true,
    replyThreading: false,
  };
  readonly #accounts: AccountLifecycle<SlackAccount, Account>;

  constructor(private readonly options: SlackAdapterOptions) {
    this.#accounts = new AccountLifecycle<SlackAccount, Account>({
      channel: this.channel,
      config: options.config,
      fingerprint,
      clock: options.clock,
      create: (base) => ({
        ...base,
        dms: new BoundedMap(MAX_REMEMBERED),
        messages: new BoundedMap(MAX_REMEMBERED),
      }),
      connect: (acc, cfg) => this.#connect(acc, cfg),
      close: async (acc) => {
        await acc.conn?.stop().catch(() => {});
      },
    });
  }

  accountIds(): string[] {
    return this.#accounts.accountIds();
  }

  policy(accountId: string): ChannelPolicy | undefined {
    const a = this.#accounts.enabledConfig(accountId);
    return a && accountPolicy(a, a.channels);
  }

  selfIds(accountId: string): readonly string[] {
    const self = this.#accounts.get(accountId)?.self;
    return self ? [self.userId] : [];
  }

  /** In http mode, where an account's Events API endpoint listens (once it does). */
  endpoint(accountId: string): string | undefined {
    return this.#accounts.get(accountId)?.conn?.endpoint;
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
    const acc = this.#running(accountId);
    const threadTs = message.threadId ?? message.replyTo;
    try {
      const res = await (acc.client as webApi.WebClient).chat.postMessage({
        channel: acc.dms.get(message.to) ?? message.to,
        text: markdownToSlackMrkdwn(message.text),
        mrkdwn: true,
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      });
      if (!res.ts) throw channelSendError('unknown', 'slack chat.postMessage: the answer has no ts');
      return { messageId: res.ts };
    } catch (err) {
      if (isCarapaceError(err)) throw err;
      throw toSendError(err, 'chat.postMessage');
    }
  }

  async react(accountId: string, to: string, messageId: string, emoji: string): Promise<void> {
    const acc = this.#running(accountId);
    const channel = acc.messages.get(messageId) ?? acc.dms.get(to) ?? to;
    const name = EMOJI_NAMES[emoji] ?? emoji.replace(/^:|:$/g, '');
    try {
      await (acc.client as webApi.WebClient).reactions.add({ channel, timestamp: messageId, name });
    } catch (err) {
      if (platformError(err) !== 'already_reacted') throw toSendError(err, 'reactions.add');
    }
  }

  #running(accountId: string): Account {
    const acc = this.#accounts.get(accountId);
    if (!acc?.client) throw channelSendError('retry', `slack account '${accountId}' is not running`);
    return acc;
  }

  async #secret(acc: Account, what: string, ref: SecretRef | undefined): Promise<string | undefined> {
    if (ref === undefined) return undefined;
    try {
      return await this.options.resolveToken(ref);
    } catch (err) {
      this.#accounts.fail(acc, `${what}: ${isCarapaceError(err) ? err.message : 'cannot be resolved'}`);
      return undefined;
    }
  }

  /** Resolve the secrets, learn who the bot is (auth.test, with backoff), then open the App. */
  async #connect(acc: Account, cfg: SlackAccount): Promise<void> {
    const needed = cfg.mode === 'socket' ? 'appToken' : 'signingSecret';
    const botToken = await this.#secret(acc, 'botToken', cfg.botToken);
    const second = await this.#secret(acc, needed, cfg.mode === 'socket' ? cfg.appToken : cfg.signingSecret);
    if (!botToken || !second) {
      if (!acc.status.lastError) this.#accounts.fail(acc, `${needed} is required in ${cfg.mode} mode`);
      acc.status.running = false;
      return;
    }
    const where = { channel: this.channel, accountId: acc.id };
    const logger = slackLogger(this.#accounts.host?.logger ?? silent, where);
    // Bolt is loaded when the first Slack account starts, so a gateway without Slack never loads it.
    const { createWebClient, openSlackApp } = await import('./connection.js');
    const client = createWebClient(botToken, cfg, logger);
    const signal = acc.abort.signal;
    const known = await retryWithBackoff(
      signal,
      this.options.sleep,
      async () => {
        const me = await client.auth.test();
        acc.self = { userId: me.user_id ?? '', teamId: me.team_id ?? '', name: me.user ?? 'bot' };
        if (me.bot_id) acc.self.botId = me.bot_id;
      },
      (err) => {
        this.#accounts.fail(acc, `auth.test: ${describeError(err)}`);
        const refused = FATAL_AUTH.has(platformError(err) ?? '');
        if (refused) acc.status.running = false;
        return refused;
      },
    );
    if (!known || signal.aborted || !acc.self) return;
    acc.status.self = { id: acc.self.userId, username: acc.self.name };
    // The Web API works without the event connection: replies can go out while it (re)connects.
    acc.client = client;
    const conn = openSlackApp({
      cfg,
      self: acc.self,
      botToken,
      ...(cfg.mode === 'socket' ? { appToken: second } : { signingSecret: second }),
      logger,
      onMessage: (event, teamId) => this.#message(acc, event, teamId),
      onError: (err) =>
        this.#accounts.host?.logger.error({ ...where, error: describeError(err) }, 'slack event failed'),
      onReconnectFailed: (err) =>
        this.#accounts.fail(acc, `socket mode reconnect failed: ${describeError(err)}`),
    });
    acc.conn = conn;
    conn.socket?.on('connected', () => this.#connected(acc));
    conn.socket?.on('reconnecting', () => this.#accounts.fail(acc, 'socket mode: reconnecting'));
    conn.socket?.on('disconnected', () => {
      if (!signal.aborted) this.#accounts.fail(acc, 'socket mode: disconnected');
    });
    await retryWithBackoff(
      signal,
      this.options.sleep,
      () => conn.start(),
      (err) => {
        const what = cfg.mode === 'socket' ? 'apps.connections.open' : 'listen';
        this.#accounts.fail(acc, `${what}: ${describeError(err)}`);
        return false;
      },
    );
    if (signal.aborted) {
      // A start that finished after the account stopped must not leave the connection open.
      await conn.stop().catch(() => {});
      return;
    }
    if (cfg.mode === 'http') {
      this.#connected(acc);
      this.#accounts.host?.logger.info(
        { ...where, endpoint: conn.endpoint },
        'slack events endpoint listening',
      );
    }
  }

  #connected(acc: Account): void {
    if (acc.abort.signal.aborted) return;
    acc.status.connected = true;
    this.#accounts.host?.logger.info(
      { channel: this.channel, accountId: acc.id, team: acc.self?.teamId },
      'slack account connected',
    );
  }

  #message(acc: Account, event: SlackMessageEvent, teamId: string | undefined): void {
    const self = acc.self;
    const host = this.#accounts.host;
    if (!self || !host || acc.abort.signal.aborted) return;
    const now = this.options.clock.now();
    const envelope = normalizeSlackMessage(event, {
      accountId: acc.id,
      self,
      receivedAt: now,
      teamId: teamId ?? self.teamId,
    });
    if (!envelope) return;
    acc.status.lastInboundAt = now;
    if (envelope.peer.kind === 'dm' && event.channel) acc.dms.set(envelope.sender.id, event.channel);
    if (event.ts && event.channel) acc.messages.set(event.ts, event.channel);
    // Bolt has acked the envelope already; the turn runs without holding the listener.
    void host.inbound(envelope);
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
