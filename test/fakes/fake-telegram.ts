/**
 * A fake Telegram Bot API: a real HTTP server on 127.0.0.1:0 answering `POST /bot<token>/<method>` the
 * way api.telegram.org does (`{ok, result}` or `{ok:false, error_code, description, parameters}`).
 * Implements getMe, getUpdates (long polling with offsets), sendMessage (with HTML parse checks and the
 * 4096-character limit), sendChatAction, setMessageReaction, deleteWebhook; any other method answers
 * `true`. Tests push user messages as updates and read what the bot made visible.
 *
 * Failure scripting per method: the next calls answer an HTTP error (e.g. 429 with `retry_after`, 500),
 * or `drop` (the call takes effect — the message becomes visible — and then the connection is destroyed
 * before any response, like a response lost on the way back).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  is_bot?: boolean;
}

/** A message the bot made visible in a chat. */
export interface VisibleMessage {
  chatId: string;
  messageId: number;
  text: string;
  parseMode?: string;
  replyTo?: number;
  threadId?: number;
}

/** One scripted failure of the next call of a method. */
export type ScriptedFailure = { status: number; description?: string; retryAfter?: number } | { drop: true };

export interface UserMessageInput {
  from: FakeUser;
  text: string;
  /** Defaults to the sender's private chat. */
  chat?: { id: number; type: 'group' | 'supergroup'; title?: string };
  /** Add an `@botname` mention entity in front of the text. */
  mentionBot?: boolean;
  /** Reply to this message id (e.g. one of the bot's). */
  replyTo?: { messageId: number; fromBot?: boolean };
  /** Reuse a message id (a redelivery); default: the chat's next id. */
  messageId?: number;
}

const DEFAULT_BOT: FakeUser = {
  id: 7000001,
  first_name: 'Carapace Test',
  username: 'carapace_test_bot',
  is_bot: true,
};
const ALLOWED_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  's',
  'del',
  'code',
  'pre',
  'a',
  'tg-spoiler',
  'blockquote',
]);

/** Visible text of Telegram HTML, or undefined when it would not parse ("can't parse entities"). */
export function parseTelegramHtml(html: string): string | undefined {
  const stack: string[] = [];
  const tag = /<\/?([a-z-]+)(\s[^>]*)?>/gi;
  for (const m of html.matchAll(tag)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!ALLOWED_TAGS.has(name)) return undefined;
    if (m[0].startsWith('</')) {
      if (stack.pop() !== name) return undefined;
    } else stack.push(name);
  }
  if (stack.length > 0) return undefined;
  const stripped = html.replace(tag, '');
  if (/<|>/.test(stripped) || /&(?!(amp|lt|gt|quot);)/.test(stripped)) return undefined;
  return stripped
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

export class FakeTelegram {
  readonly bot: FakeUser;
  /** Every message the bot made visible, in order. */
  readonly visible: VisibleMessage[] = [];
  readonly chatActions: { chatId: string; action: string }[] = [];
  readonly reactions: { chatId: string; messageId: number; emoji: string }[] = [];
  /** Every call, in order (method and parsed payload). */
  readonly calls: { method: string; payload: Record<string, unknown> }[] = [];
  readonly #updates: { update_id: number; message: Record<string, unknown> }[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #scripts = new Map<string, ScriptedFailure[]>();
  readonly #nextMessageId = new Map<string, number>();
  #nextUpdateId = 1;
  #closed = false;

  private constructor(
    private readonly server: Server,
    readonly token: string,
    bot: FakeUser,
  ) {
    this.bot = bot;
  }

  static async start(options: { token?: string; bot?: FakeUser } = {}): Promise<FakeTelegram> {
    const server = createServer();
    const fake = new FakeTelegram(
      server,
      options.token ?? '123456:TEST-token-abcdefghijklmnop',
      options.bot ?? DEFAULT_BOT,
    );
    server.on('request', (req, res) => {
      fake.#handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The Bot API base URL to configure (`apiRoot`). */
  get apiRoot(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Make the next calls of `method` fail, in order. */
  script(method: string, ...failures: ScriptedFailure[]): void {
    this.#scripts.set(method, [...(this.#scripts.get(method) ?? []), ...failures]);
  }

  /** Queue a message from a user as an update; returns its message id. */
  userMessage(input: UserMessageInput): number {
    const chat = input.chat ?? { id: input.from.id, type: 'private' as const };
    const messageId = input.messageId ?? this.#takeMessageId(String(chat.id));
    const mention = `@${this.bot.username}`;
    const text = input.mentionBot ? `${mention} ${input.text}` : input.text;
    const message: Record<string, unknown> = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { ...chat, ...(chat.type === 'private' ? { first_name: input.from.first_name } : {}) },
      from: { is_bot: false, ...input.from },
      text,
    };
    if (input.mentionBot) message.entities = [{ type: 'mention', offset: 0, length: mention.length }];
    if (input.replyTo) {
      message.reply_to_message = {
        message_id: input.replyTo.messageId,
        date: Math.floor(Date.now() / 1000),
        chat: message.chat,
        from: input.replyTo.fromBot ? this.bot : { id: 1, is_bot: false, first_name: 'Someone' },
        text: '…',
      };
    }
    this.#updates.push({ update_id: this.#nextUpdateId++, message });
    this.#wake();
    return messageId;
  }

  /** Updates not yet confirmed by a later getUpdates offset. */
  get pendingUpdates(): number {
    return this.#updates.length;
  }

  /** Resolve when `predicate` holds (checked every 10 ms); reject with `what` after `timeoutMs`. */
  async waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake telegram: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Messages visible in one chat. */
  inChat(chatId: number | string): VisibleMessage[] {
    return this.visible.filter((m) => m.chatId === String(chatId));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #takeMessageId(chatId: string): number {
    const id = this.#nextMessageId.get(chatId) ?? 1;
    this.#nextMessageId.set(chatId, id + 1);
    return id;
  }

  #wake(): void {
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (!match) return json(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (match[1] !== this.token)
      return json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = match[2] ?? '';
    const body = Buffer.concat(chunks).toString('utf8');
    const payload = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    this.calls.push({ method, payload });
    const failure = this.#scripts.get(method)?.shift();
    if (failure && !('drop' in failure)) {
      const out: Record<string, unknown> = {
        ok: false,
        error_code: failure.status,
        description:
          failure.description ??
          (failure.status === 429 ? 'Too Many Requests: retry later' : 'Internal Server Error'),
      };
      if (failure.retryAfter !== undefined) out.parameters = { retry_after: failure.retryAfter };
      return json(res, failure.status, out);
    }
    const [status, answer] = await this.#call(method, payload, req);
    if (failure && 'drop' in failure) {
      req.socket.destroy();
      return;
    }
    json(res, status, answer);
  }

  async #call(method: string, p: Record<string, unknown>, req: IncomingMessage): Promise<[number, unknown]> {
    const ok = (result: unknown): [number, unknown] => [200, { ok: true, result }];
    const bad = (description: string): [number, unknown] => [
      400,
      { ok: false, error_code: 400, description: `Bad Request: ${description}` },
    ];
    switch (method) {
      case 'getMe':
        return ok({
          ...this.bot,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        });
      case 'getUpdates':
        return ok(await this.#getUpdates(p, req));
      case 'sendMessage': {
        const text = typeof p.text === 'string' ? p.text : '';
        const visibleText = p.parse_mode === 'HTML' ? parseTelegramHtml(text) : text;
        if (visibleText === undefined) return bad("can't parse entities: unsupported or unclosed tag");
        if (visibleText.trim() === '') return bad('message text is empty');
        if (visibleText.length > 4096) return bad('message is too long');
        const chatId = String(p.chat_id);
        const message: VisibleMessage = { chatId, messageId: this.#takeMessageId(chatId), text };
        if (typeof p.parse_mode === 'string') message.parseMode = p.parse_mode;
        const reply = p.reply_parameters as { message_id?: number } | undefined;
        if (reply?.message_id !== undefined) message.replyTo = reply.message_id;
        if (typeof p.message_thread_id === 'number') message.threadId = p.message_thread_id;
        this.visible.push(message);
        return ok({
          message_id: message.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: 'private' },
          from: this.bot,
          text: visibleText,
        });
      }
      case 'sendChatAction':
        this.chatActions.push({ chatId: String(p.chat_id), action: String(p.action) });
        return ok(true);
      case 'setMessageReaction': {
        const reaction = (p.reaction as { emoji?: string }[] | undefined)?.[0];
        this.reactions.push({
          chatId: String(p.chat_id),
          messageId: Number(p.message_id),
          emoji: reaction?.emoji ?? '',
        });
        return ok(true);
      }
      default:
        return ok(true);
    }
  }

  async #getUpdates(p: Record<string, unknown>, req: IncomingMessage): Promise<unknown[]> {
    const offset = typeof p.offset === 'number' ? p.offset : 0;
    const limit = typeof p.limit === 'number' ? Math.min(100, Math.max(1, p.limit)) : 100;
    const timeoutMs = (typeof p.timeout === 'number' ? p.timeout : 0) * 1000;
    // An offset confirms every update below it: they are gone for good, as on Telegram.
    while (this.#updates.length > 0 && (this.#updates[0]?.update_id ?? 0) < offset) this.#updates.shift();
    if (this.#updates.length === 0 && timeoutMs > 0 && !this.#closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          req.socket.off('close', done);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.#waiters.add(done);
        req.socket.once('close', done);
      });
    }
    return this.#updates.slice(0, limit);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
