import type { RunnerHandle } from '@grammyjs/runner';
import type { ApiClientOptions, Bot } from 'grammy';
import type { SecretRef, TelegramAccount, TelegramConfig } from '../../config/index.js';
import { type Clock, isCarapaceError, moduleExports } from '../../shared/index.js';
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
import { describeError, isGrammyError, isParseError, toSendError } from './errors.js';
import { markdownToTelegramHtml } from './format.js';
import { normalizeMessage } from './normalize.js';

export interface TelegramAdapterOptions {
  /** The `channels.telegram` section, read on every use so edits apply. */
  config(): TelegramConfig;
  /** Resolves a bot token reference; the token is never logged. */
  resolveToken(ref: SecretRef): Promise<string>;
  clock: Clock;
  sleep: SleepFn;
  /** A fetch for the Bot API (default: grammY's). */
  fetch?: typeof fetch;
  /** Long-polling timeout of getUpdates in seconds (default 30). */
  pollTimeoutSeconds?: number;
}

interface Account extends LiveAccount {
  bot?: Bot;
  runner?: RunnerHandle;
}

/** What identifies an account's connection: a change restarts it. */
function fingerprint(cfg: TelegramAccount): string {
  return JSON.stringify([cfg.botToken, cfg.apiRoot ?? '']);
}

/**
 * Telegram over grammY: long polling with @grammyjs/runner, one bot per account. DMs are private chats,
 * groups and supergroups are groups (forum topics are threads). Outbound text is rendered as Telegram
 * HTML; if Telegram cannot parse it, the chunk is sent again as plain text (nothing was shown the first
 * time). The bot token is only ever handed to grammY, never logged or put in an error message.
 */
export class TelegramAdapter implements ChannelAdapter {
  readonly channel = 'telegram';
  readonly capabilities: ChannelCapabilities = {
    // Telegram allows 4096 characters after entity parsing; Markdown markers only shrink, so 4000 of
    // source text leaves room for the fences the chunker adds.
    textLimit: 4000,
    format: 'html',
    typing: true,
    reactions: true,
    replyThreading: true,
  };
  readonly #accounts: AccountLifecycle<TelegramAccount, Account>;

  constructor(private readonly options: TelegramAdapterOptions) {
    this.#accounts = new AccountLifecycle<TelegramAccount, Account>({
      channel: this.channel,
      config: options.config,
      fingerprint,
      clock: options.clock,
      create: (base) => base,
      connect: (acc, cfg) => this.#connect(acc, cfg),
      close: async (acc) => {
        await acc.runner?.stop().catch(() => {});
      },
    });
  }

  accountIds(): string[] {
    return this.#accounts.accountIds();
  }

  policy(accountId: string): ChannelPolicy | undefined {
    const a = this.#accounts.enabledConfig(accountId);
    return a && accountPolicy(a, a.groups);
  }

  selfIds(accountId: string): readonly string[] {
    const bot = this.#accounts.get(accountId)?.bot;
    return bot?.isInited() ? [String(bot.botInfo.id)] : [];
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
    const bot = this.#bot(accountId);
    const other: Record<string, unknown> = {};
    if (message.replyTo !== undefined) {
      other.reply_parameters = { message_id: Number(message.replyTo), allow_sending_without_reply: true };
    }
    if (message.threadId !== undefined) other.message_thread_id = Number(message.threadId);
    const html = markdownToTelegramHtml(message.text);
    try {
      let sent: { message_id: number };
      try {
        sent = await bot.api.sendMessage(message.to, html, { ...other, parse_mode: 'HTML' });
      } catch (err) {
        if (!isParseError(err)) throw err;
        sent = await bot.api.sendMessage(message.to, message.text, other);
      }
      return { messageId: String(sent.message_id) };
    } catch (err) {
      throw toSendError(err, 'sendMessage');
    }
  }

  async typing(accountId: string, to: string): Promise<void> {
    await this.#bot(accountId).api.sendChatAction(to, 'typing');
  }

  async react(accountId: string, to: string, messageId: string, emoji: string): Promise<void> {
    await this.#bot(accountId).api.setMessageReaction(to, Number(messageId), [
      { type: 'emoji', emoji } as never,
    ]);
  }

  #bot(accountId: string): Bot {
    const bot = this.#accounts.get(accountId)?.bot;
    if (!bot) throw channelSendError('retry', `telegram account '${accountId}' is not running`);
    return bot;
  }

  /** Resolve the token, create the bot, wait for getMe (with backoff), then poll. */
  async #connect(acc: Account, cfg: TelegramAccount): Promise<void> {
    let token: string;
    try {
      token = await this.options.resolveToken(cfg.botToken);
    } catch (err) {
      this.#accounts.fail(acc, `bot token: ${isCarapaceError(err) ? err.message : 'cannot be resolved'}`);
      return;
    }
    const client: ApiClientOptions = {};
    if (cfg.apiRoot) client.apiRoot = cfg.apiRoot.replace(/\/+$/, '');
    if (this.options.fetch)
      client.fetch = this.options.fetch as unknown as NonNullable<ApiClientOptions['fetch']>;
    // grammY (~18 MB of heap) is loaded with the first bot, not with the gateway.
    const [{ Bot }, { run }] = await Promise.all([
      import('grammy').then((m) => moduleExports(m, 'Bot')),
      import('@grammyjs/runner').then((m) => moduleExports(m, 'run')),
    ]);
    const bot = new Bot(token, { client });
    acc.bot = bot;
    this.#observe(acc, bot);
    bot.on('message', (ctx) => this.#inbound(acc, bot, ctx.message));
    bot.catch((err) =>
      this.#accounts.host?.logger.error(
        { channel: this.channel, accountId: acc.id, error: describeError(err.error) },
        'telegram update failed',
      ),
    );
    const signal = acc.abort.signal;
    const ready = await retryWithBackoff(
      signal,
      this.options.sleep,
      () => bot.init(signal as Parameters<Bot['init']>[0]),
      (err) => {
        this.#accounts.fail(acc, `getMe: ${describeError(err)}`);
        const refused = isGrammyError(err) && (err.error_code === 401 || err.error_code === 404);
        if (refused) acc.status.running = false;
        return refused;
      },
    );
    if (!ready) return;
    if (acc.abort.signal.aborted) return;
    acc.status.self = { id: String(bot.botInfo.id), username: bot.botInfo.username };
    acc.runner = run(bot, {
      runner: {
        silent: true,
        fetch: { timeout: this.options.pollTimeoutSeconds ?? 30, allowed_updates: ['message'] },
      },
    });
    this.#accounts.host?.logger.info(
      { channel: this.channel, accountId: acc.id, bot: bot.botInfo.username },
      'telegram polling started',
    );
    acc.runner.task()?.catch((err: unknown) => {
      acc.status.running = false;
      this.#accounts.fail(acc, `getUpdates: ${describeError(err)}`);
    });
  }

  /** Track connectivity from every Bot API call (a transformer sees each response). */
  #observe(acc: Account, bot: Bot): void {
    bot.api.config.use(async (prev, method, payload, signal) => {
      if (method === 'getUpdates' && !acc.status.connected && !acc.abort.signal.aborted) {
        // After an outage the next long poll answers only when an update arrives or it times out (30 s):
        // a getMe beside it shows the recovered connection at once.
        prev('getMe', {} as never, signal).then(
          (res) => {
            if (res.ok && !acc.abort.signal.aborted) acc.status.connected = true;
          },
          () => {},
        );
      }
      try {
        const res = await prev(method, payload, signal);
        if (method === 'getUpdates' || method === 'getMe') {
          if (res.ok) acc.status.connected = true;
          else this.#accounts.fail(acc, `${method}: ${res.error_code} ${res.description}`);
        }
        return res;
      } catch (err) {
        if (method === 'getUpdates' && !acc.abort.signal.aborted)
          this.#accounts.fail(acc, `getUpdates: ${describeError(err)}`);
        throw err;
      }
    });
  }

  async #inbound(acc: Account, bot: Bot, message: Parameters<typeof normalizeMessage>[0]): Promise<void> {
    const now = this.options.clock.now();
    acc.status.lastInboundAt = now;
    const envelope = normalizeMessage(message, acc.id, bot.botInfo, now);
    const host = this.#accounts.host;
    if (envelope && host) await host.inbound(envelope);
  }
}
