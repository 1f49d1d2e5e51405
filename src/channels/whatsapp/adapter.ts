import { stat } from 'node:fs/promises';
import type { WAMessage, WAMessageKey } from 'baileys';
import type { WhatsAppAccount, WhatsAppConfig } from '../../config/index.js';
import { BoundedMap, type Clock, errorMessage } from '../../shared/index.js';
import type {
  AccountStatus,
  AdapterHost,
  ChannelAdapter,
  ChannelCapabilities,
  ChannelLogger,
  ChannelPolicy,
  OutboundMessage,
  SentMessage,
} from '../contract.js';
import { channelSendError } from '../contract.js';
import { type SleepFn, silentLogger } from '../ports.js';
import { type AuthHandle, clearAuthDir, linkedAccount, openAuthState, whatsappAuthDir } from './auth.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { DISCONNECT, describeDisconnect, statusOf, toSendError } from './errors.js';
import { markdownToWhatsApp } from './format.js';
import { idOfJid, jidOfId, whatsappPolicy } from './jid.js';
import { normalizeMessage } from './normalize.js';
import { baileysSocketFactory, type WhatsAppSocket, type WhatsAppSocketFactory } from './socket.js';

export interface WhatsAppAdapterOptions {
  /** The `channels.whatsapp` section, read on every use so edits apply. */
  config(): WhatsAppConfig;
  /** `<stateDir>/credentials`; each account's linked device lives in `whatsapp/<account>/` below it. */
  credentialsDir: string;
  clock: Clock;
  /** Waits between reconnects and link checks (abortable). */
  sleep: SleepFn;
  /** Makes the Baileys socket (default: `makeWASocket`); tests pass a fake. */
  socketFactory?: WhatsAppSocketFactory;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  backoff?: Partial<BackoffPolicy>;
  /** How often an account without a linked device looks for one (default 15 s). */
  linkPollMs?: number;
}

/** How one connection ended. */
interface Closed {
  error: string;
  code?: number | undefined;
  /** WhatsApp showed a QR code: these credentials no longer log in. */
  unlinked?: boolean;
  /** How long the connection was open (ms), if it opened. */
  openedFor?: number;
}

interface Account {
  id: string;
  dir: string;
  abort: AbortController;
  loop?: Promise<void>;
  /** The socket while the connection is open. */
  sock?: WhatsAppSocket | undefined;
  status: AccountStatus;
  /** Reconnects since the last stable connection. */
  attempt: number;
  selfIds: string[];
  /** Recent inbound messages by id: replies quote them, reactions need their keys. */
  recent: BoundedMap<string, WAMessage>;
}

const RECENT_LIMIT = 500;
const DEFAULT_LINK_POLL_MS = 15_000;

/**
 * WhatsApp over Baileys (WhatsApp Web multi-device). One socket per account, authenticated by the linked
 * device in `credentials/whatsapp/<account>/` (0700; linked with `carapace channels login whatsapp`).
 * Each account runs one loop: wait for a link → connect → on close wait (exponential backoff with jitter,
 * capped) → connect again, so there is never more than one connection or pending reconnect. Logged out
 * from the phone → the dead credentials are removed and the account waits for a new link; replaced by
 * another session or forbidden → it stops and reports why, without retrying.
 */
export class WhatsAppAdapter implements ChannelAdapter {
  readonly channel = 'whatsapp';
  readonly capabilities: ChannelCapabilities = {
    textLimit: 4000,
    format: 'markdown',
    typing: true,
    reactions: true,
    replyThreading: true,
  };
  readonly #accounts = new Map<string, Account>();
  readonly #backoff: BackoffPolicy;
  readonly #factory: WhatsAppSocketFactory;
  #host: AdapterHost | undefined;

  constructor(private readonly options: WhatsAppAdapterOptions) {
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#factory = options.socketFactory ?? baileysSocketFactory;
  }

  get #log(): ChannelLogger {
    return this.#host?.logger ?? silentLogger;
  }

  #configured(): Record<string, WhatsAppAccount> {
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
    return a?.enabled ? whatsappPolicy(a) : undefined;
  }

  selfIds(accountId: string): readonly string[] {
    return this.#accounts.get(accountId)?.selfIds ?? [];
  }

  async start(host: AdapterHost): Promise<void> {
    this.#host = host;
    await this.reload();
  }

  async reload(): Promise<void> {
    if (!this.#host) return;
    const wanted = new Set(this.accountIds());
    for (const id of [...this.#accounts.keys()]) if (!wanted.has(id)) await this.#stopAccount(id);
    for (const id of wanted) if (!this.#accounts.has(id)) this.#launch(id);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#accounts.keys()].map((id) => this.#stopAccount(id)));
    this.#host = undefined;
  }

  /** Unlink the device (when connected), delete its credentials, and wait for a new link. */
  async logout(accountId: string): Promise<{ cleared: boolean }> {
    const dir = whatsappAuthDir(this.options.credentialsDir, accountId);
    const existed = await stat(dir).then(
      () => true,
      () => false,
    );
    const sock = this.#accounts.get(accountId)?.sock;
    if (sock) await sock.logout().catch(() => {});
    await this.#stopAccount(accountId);
    await clearAuthDir(dir);
    if (this.#host && this.accountIds().includes(accountId)) {
      this.#launch(accountId).status.loggedOut = true;
    }
    return { cleared: existed };
  }

  status(): AccountStatus[] {
    const cfg = this.options.config();
    return Object.entries(cfg.accounts).map(([id, a]) => {
      const running = this.#accounts.get(id);
      if (running) return { ...running.status };
      return {
        channel: this.channel,
        accountId: id,
        enabled: cfg.enabled && a.enabled,
        configured: false,
        running: false,
        connected: false,
      };
    });
  }

  async send(accountId: string, message: OutboundMessage): Promise<SentMessage> {
    const acc = this.#accounts.get(accountId);
    const sock = this.#socket(accountId);
    const jid = jidOfId(message.to);
    const quoted = message.replyTo !== undefined ? acc?.recent.get(message.replyTo) : undefined;
    try {
      const sent = await sock.sendMessage(
        jid,
        { text: markdownToWhatsApp(message.text) },
        quoted ? { quoted } : undefined,
      );
      if (acc) acc.status.lastOutboundAt = this.options.clock.now();
      return { messageId: sent?.key.id ?? '' };
    } catch (err) {
      throw toSendError(err, 'sendMessage');
    }
  }

  async typing(accountId: string, to: string): Promise<void> {
    await this.#socket(accountId).sendPresenceUpdate('composing', jidOfId(to));
  }

  async react(accountId: string, to: string, messageId: string, emoji: string): Promise<void> {
    const sock = this.#socket(accountId);
    const jid = jidOfId(to);
    const known = this.#accounts.get(accountId)?.recent.get(messageId)?.key;
    const key: WAMessageKey = known ?? { remoteJid: jid, id: messageId, fromMe: false };
    try {
      await sock.sendMessage(known?.remoteJid ?? jid, { react: { text: emoji, key } });
    } catch (err) {
      throw toSendError(err, 'reaction');
    }
  }

  #socket(accountId: string): WhatsAppSocket {
    const sock = this.#accounts.get(accountId)?.sock;
    if (!sock) throw channelSendError('retry', `whatsapp account '${accountId}' is not connected`);
    return sock;
  }

  #launch(id: string): Account {
    const acc: Account = {
      id,
      dir: whatsappAuthDir(this.options.credentialsDir, id),
      abort: new AbortController(),
      attempt: 0,
      selfIds: [],
      recent: new BoundedMap(RECENT_LIMIT),
      status: {
        channel: this.channel,
        accountId: id,
        enabled: true,
        configured: false,
        running: true,
        connected: false,
        lastStartAt: this.options.clock.now(),
      },
    };
    this.#accounts.set(id, acc);
    acc.loop = this.#run(acc).catch((err) => {
      acc.status.running = false;
      this.#fail(acc, `stopped: ${errorMessage(err)}`);
    });
    return acc;
  }

  /** The account's one loop: wait for a link, connect, and after a close reconnect (or stop). */
  async #run(acc: Account): Promise<void> {
    const signal = acc.abort.signal;
    let auth: AuthHandle | undefined;
    while (!signal.aborted) {
      if (!auth) {
        const me = await linkedAccount(acc.dir);
        if (!me) {
          acc.status.configured = false;
          acc.status.lastError = `not linked: run 'carapace channels login whatsapp --account ${acc.id}'`;
          await this.options.sleep(this.options.linkPollMs ?? DEFAULT_LINK_POLL_MS, signal).catch(() => {});
          continue;
        }
        acc.status.configured = true;
        acc.selfIds = [idOfJid(me.id)];
        auth = await openAuthState(acc.dir);
      }
      const closed = await this.#connect(acc, auth);
      await auth.flush();
      if (signal.aborted) return;
      const next = await this.#afterClose(acc, closed);
      if (signal.aborted) return;
      if (next === 'stop') {
        acc.status.running = false;
        return;
      }
      if (next === 'relink') {
        auth = undefined;
        continue;
      }
      if (next > 0) {
        acc.status.lastError = `${closed.error}; reconnecting in ${Math.ceil(next / 1000)} s`;
        await this.options.sleep(next, signal).catch(() => {});
      }
    }
  }

  /** Open one connection; resolves when it closes (or the account stops). */
  async #connect(acc: Account, auth: AuthHandle): Promise<Closed> {
    const signal = acc.abort.signal;
    let sock: WhatsAppSocket;
    try {
      sock = await this.#factory({ auth: auth.state, logger: this.#log, accountId: acc.id });
    } catch (err) {
      return { error: `socket: ${errorMessage(err)}` };
    }
    const clock = this.options.clock;
    return new Promise<Closed>((resolve) => {
      let done = false;
      let openedAt: number | undefined;
      const finish = (closed: Closed) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        if (acc.sock === sock) acc.sock = undefined;
        acc.status.connected = false;
        if (openedAt !== undefined) closed.openedFor = clock.monotonic() - openedAt;
        resolve(closed);
      };
      const end = () => Promise.resolve(sock.end(undefined)).catch(() => {});
      const onAbort = () => {
        void end();
        finish({ error: 'stopped' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      sock.ev.on('creds.update', () => {
        auth.saveCreds().catch((err) => this.#fail(acc, `saving credentials: ${errorMessage(err)}`));
      });
      sock.ev.on('connection.update', (update) => {
        if (done) return;
        if (update.qr) {
          void end();
          finish({ error: 'WhatsApp asked for a new QR code: the link is gone', unlinked: true });
        } else if (update.connection === 'open') {
          openedAt = clock.monotonic();
          this.#opened(acc, sock);
        } else if (update.connection === 'close') {
          const err = update.lastDisconnect?.error;
          finish({ error: describeDisconnect(err), code: statusOf(err) });
        }
      });
      sock.ev.on('messages.upsert', (upsert) => {
        if (upsert.type === 'notify') for (const m of upsert.messages) this.#inbound(acc, m);
      });
      if (signal.aborted) onAbort();
    });
  }

  #opened(acc: Account, sock: WhatsAppSocket): void {
    acc.sock = sock;
    acc.status.connected = true;
    delete acc.status.loggedOut;
    const user = sock.user;
    if (user) {
      acc.selfIds = [idOfJid(user.id), ...(user.lid ? [idOfJid(user.lid)] : [])];
      acc.status.self = { id: idOfJid(user.id), ...(user.name ? { username: user.name } : {}) };
    }
    this.#log.info({ channel: this.channel, accountId: acc.id }, 'whatsapp connected');
  }

  /** Decide what follows a close: a reconnect delay, a new link, or a stop. */
  async #afterClose(acc: Account, closed: Closed): Promise<number | 'relink' | 'stop'> {
    if ((closed.openedFor ?? 0) >= this.#backoff.stableMs) acc.attempt = 0;
    const login = `'carapace channels login whatsapp --account ${acc.id}'`;
    if (closed.code === DISCONNECT.loggedOut) {
      await clearAuthDir(acc.dir);
      acc.status.loggedOut = true;
      acc.status.configured = false;
      acc.attempt = 0;
      this.#fail(acc, `logged out from the phone; credentials removed. Link again with ${login}`);
      return 'relink';
    }
    if (closed.unlinked) {
      this.#fail(acc, `${closed.error}; not reconnecting. Link again with ${login} --force`);
      return 'stop';
    }
    if (closed.code === DISCONNECT.connectionReplaced || closed.code === DISCONNECT.forbidden) {
      const why =
        closed.code === DISCONNECT.forbidden
          ? 'WhatsApp refused the connection (403)'
          : 'another WhatsApp Web session replaced this one (440)';
      this.#fail(acc, `${why}; not reconnecting until the gateway restarts`);
      return 'stop';
    }
    this.#fail(acc, closed.error);
    const attempt = acc.attempt++;
    if (closed.code === DISCONNECT.restartRequired && attempt === 0) return 0;
    return backoffDelay(attempt, this.#backoff, this.options.random ?? Math.random);
  }

  #inbound(acc: Account, msg: WAMessage): void {
    const now = this.options.clock.now();
    const envelope = normalizeMessage(msg, acc.id, { ids: acc.selfIds }, now);
    if (!envelope || !this.#host) return;
    acc.status.lastInboundAt = now;
    if (envelope.messageId !== undefined) {
      acc.recent.set(envelope.messageId, msg);
    }
    // The pipeline keeps each conversation in order and never throws; chats do not wait for each other.
    void this.#host.inbound(envelope);
  }

  #fail(acc: Account, error: string): void {
    acc.status.lastError = error;
    acc.status.lastErrorAt = this.options.clock.now();
    this.#log.warn({ channel: this.channel, accountId: acc.id, error }, 'whatsapp account error');
  }

  async #stopAccount(id: string): Promise<void> {
    const acc = this.#accounts.get(id);
    if (!acc) return;
    this.#accounts.delete(id);
    acc.abort.abort();
    await acc.loop;
    acc.status.running = false;
    acc.status.connected = false;
  }
}
