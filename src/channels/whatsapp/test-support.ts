/**
 * A fake Baileys socket for tests (import only from tests): the same event interface as `makeWASocket`
 * (`ev.on('messages.upsert' | 'connection.update' | 'creds.update')`), recording what is sent.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthenticationState, WAMessage } from 'baileys';
import { BufferJSON, initAuthCreds } from 'baileys';
import { CREDS_FILE, ensurePrivateDir, whatsappAuthDir } from './auth.js';
import type { WhatsAppContent, WhatsAppEvents, WhatsAppSocket, WhatsAppSocketFactory } from './socket.js';

/** The bot's own account in tests. */
export const SELF = { id: '15550000000:7@s.whatsapp.net', lid: '98765432100001:7@lid', name: 'Carapace' };

/** A Baileys-style (Boom) error with a status code. */
export function boom(statusCode: number, message = `status ${statusCode}`): Error {
  return Object.assign(new Error(message), { output: { statusCode } });
}

export interface SentRecord {
  jid: string;
  content: WhatsAppContent;
  quotedId?: string;
  id: string;
}

/** A fresh message id in WhatsApp's style (upper-case hex). */
function messageId(prefix: string): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
}

export class FakeSocket implements WhatsAppSocket {
  readonly #listeners = new Map<string, ((arg: never) => void)[]>();
  readonly ev: WhatsAppSocket['ev'] = {
    on: (event, listener) => {
      const list = this.#listeners.get(event) ?? [];
      list.push(listener as (arg: never) => void);
      this.#listeners.set(event, list);
    },
  };
  user: WhatsAppSocket['user'];
  readonly sent: SentRecord[] = [];
  readonly presence: { type: string; jid?: string | undefined }[] = [];
  ended = false;
  loggedOut = false;
  /** The next sendMessage throws this. */
  failNext: unknown;

  constructor(readonly auth: AuthenticationState) {}

  emit<E extends keyof WhatsAppEvents>(event: E, arg: WhatsAppEvents[E]): void {
    for (const l of this.#listeners.get(event) ?? []) (l as (a: WhatsAppEvents[E]) => void)(arg);
  }

  open(user: NonNullable<WhatsAppSocket['user']> = SELF): void {
    this.user = user;
    this.emit('connection.update', { connection: 'open' });
  }

  close(statusCode: number): void {
    this.emit('connection.update', {
      connection: 'close',
      lastDisconnect: { error: boom(statusCode), date: new Date() },
    });
  }

  async sendMessage(jid: string, content: WhatsAppContent, options?: { quoted?: WAMessage }) {
    if (this.failNext !== undefined) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    const id = messageId('3EB0');
    const rec: SentRecord = { jid, content, id };
    if (options?.quoted?.key.id) rec.quotedId = options.quoted.key.id;
    this.sent.push(rec);
    return { key: { remoteJid: jid, id, fromMe: true } } as WAMessage;
  }

  async sendPresenceUpdate(type: 'composing' | 'paused' | 'available' | 'unavailable', jid?: string) {
    this.presence.push({ type, jid });
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    this.close(401);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.close(428);
  }

  /** Deliver a message as WhatsApp would (`messages.upsert`, type notify). */
  upsert(message: WAMessage): void {
    this.emit('messages.upsert', { messages: [message], type: 'notify' });
  }
}

/** A DM from `from` (digits) with plain text. */
export function dmMessage(from: string, text: string, opts: { id?: string; name?: string } = {}): WAMessage {
  const msg: WAMessage = {
    key: { remoteJid: `${from}@s.whatsapp.net`, id: opts.id ?? messageId('IN'), fromMe: false },
    message: { conversation: text },
  };
  if (opts.name) msg.pushName = opts.name;
  return msg;
}

/** A group message; `mention` puts the bot in `contextInfo.mentionedJid`. */
export function groupMessage(
  group: string,
  from: string,
  text: string,
  opts: { id?: string; name?: string; mention?: string[] } = {},
): WAMessage {
  const msg: WAMessage = {
    key: {
      remoteJid: `${group}@g.us`,
      participant: `${from}@s.whatsapp.net`,
      id: opts.id ?? messageId('IN'),
      fromMe: false,
    },
    message: { extendedTextMessage: { text, contextInfo: { mentionedJid: opts.mention ?? [] } } },
  };
  if (opts.name) msg.pushName = opts.name;
  return msg;
}

/** A socket factory that records its sockets; `autoOpen` opens each new one on the next turn. */
export function fakeSocketFactory(opts: { autoOpen?: boolean } = {}) {
  const sockets: FakeSocket[] = [];
  const waiters: ((s: FakeSocket) => void)[] = [];
  const factory: WhatsAppSocketFactory = async ({ auth }) => {
    const sock = new FakeSocket(auth);
    // Announce it on the next turn, once the adapter has attached its listeners.
    setImmediate(() => {
      sockets.push(sock);
      for (const w of waiters.splice(0)) w(sock);
      if (opts.autoOpen) sock.open();
    });
    return sock;
  };
  /** Resolves with socket number `n` (0-based) once it exists. */
  const socket = (n: number) =>
    new Promise<FakeSocket>((resolve) => {
      const check = () => {
        const s = sockets[n];
        if (s) resolve(s);
        else waiters.push(check);
      };
      check();
    });
  return { factory, sockets, socket };
}

/** Write a linked device into `credentialsDir` for `accountId`, as `channels login` leaves it. */
export async function linkDevice(
  credentialsDir: string,
  accountId: string,
  me: { id: string; lid?: string; name?: string } = SELF,
): Promise<string> {
  const dir = whatsappAuthDir(credentialsDir, accountId);
  await ensurePrivateDir(dir);
  const creds = { ...initAuthCreds(), me };
  await writeFile(join(dir, CREDS_FILE), JSON.stringify(creds, BufferJSON.replacer), { mode: 0o600 });
  return dir;
}

/** Wait until `check` holds (polling every 5 ms, failing after 5 s). */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
