/**
 * A fake Discord: one server on 127.0.0.1:0 that answers the REST API under `/api/v10` and speaks the
 * gateway protocol on `/gateway` (JSON encoding, no compression) with the real opcodes: HELLO (10) →
 * IDENTIFY (2) → READY dispatch (0), HEARTBEAT (1) → HEARTBEAT_ACK (11), RESUME (6) → replayed
 * dispatches + RESUMED, then DISPATCH events such as GUILD_CREATE and MESSAGE_CREATE.
 *
 * REST: GET /gateway/bot (so @discordjs/ws learns the gateway URL), GET /users/@me, POST /users/@me/channels
 * (open a DM), GET /channels/:id, POST /channels/:id/messages (2,000-character limit, `message_reference`),
 * POST /channels/:id/typing, PUT /channels/:id/messages/:id/reactions/:emoji/@me. Errors use Discord's
 * shape `{message, code}` (10003 Unknown Channel, 50035 Invalid Form Body …).
 *
 * Failure scripting per route ("POST /channels/:id/messages"): the next calls answer an HTTP error
 * (429 with `retry_after`, 500 …), or `drop` (the message is created, then the connection is destroyed
 * before any response).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FakeDiscordUser {
  id: string;
  username: string;
  global_name?: string;
  bot?: boolean;
}

/** A message the bot made visible. `recipientId` is set for DM channels. */
export interface DiscordVisible {
  channelId: string;
  messageId: string;
  content: string;
  replyTo?: string;
  recipientId?: string;
  allowedMentions?: unknown;
}

export type DiscordFailure =
  | { status: number; code?: number; message?: string; retryAfter?: number }
  | { drop: true };

interface Channel {
  id: string;
  type: number;
  guildId?: string;
  parentId?: string;
  recipient?: FakeDiscordUser;
}

interface Session {
  id: string;
  seq: number;
  /** Dispatches sent (for RESUME replays), newest last, bounded. */
  sent: { s: number; t: string; d: unknown }[];
  socket?: WebSocket;
}

export const MESSAGE_CONTENT_INTENT = 1 << 15;
const DEFAULT_BOT: FakeDiscordUser = { id: '1100000000000000001', username: 'carapace-test', bot: true };

const GUILD_TEXT = 0;
const DM = 1;
const PUBLIC_THREAD = 11;

export class FakeDiscord {
  readonly bot: FakeDiscordUser;
  readonly visible: DiscordVisible[] = [];
  readonly typing: { channelId: string }[] = [];
  readonly reactions: { channelId: string; messageId: string; emoji: string }[] = [];
  readonly calls: { method: string; path: string; body: unknown }[] = [];
  /** Every IDENTIFY received (token and intents). */
  readonly identifies: { token: string; intents: number }[] = [];
  readonly resumes: { sessionId: string; seq: number }[] = [];
  heartbeats = 0;
  readonly #wss: WebSocketServer;
  readonly #channels = new Map<string, Channel>();
  readonly #guilds = new Set<string>();
  readonly #sessions = new Map<string, Session>();
  readonly #scripts = new Map<string, DiscordFailure[]>();
  #nextId = 1n;
  #intents = 0;

  private constructor(
    private readonly server: Server,
    readonly token: string,
    bot: FakeDiscordUser,
    private readonly heartbeatIntervalMs: number,
  ) {
    this.bot = bot;
    this.#wss = new WebSocketServer({ noServer: true });
  }

  static async start(
    options: { token?: string; bot?: FakeDiscordUser; heartbeatIntervalMs?: number } = {},
  ): Promise<FakeDiscord> {
    const server = createServer();
    const fake = new FakeDiscord(
      server,
      options.token ?? 'MTEwMDAw.fake-discord.token-abcdefghijklmnop',
      options.bot ?? DEFAULT_BOT,
      options.heartbeatIntervalMs ?? 41_250,
    );
    server.on('request', (req, res) => {
      fake.#handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
    server.on('upgrade', (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/gateway')) return socket.destroy();
      fake.#wss.handleUpgrade(req, socket, head, (ws) => fake.#gateway(ws));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get #origin(): string {
    const { port } = this.server.address() as AddressInfo;
    return `127.0.0.1:${port}`;
  }

  /** The REST base to configure (`apiUrl`); the client appends `/v10`. */
  get apiUrl(): string {
    return `http://${this.#origin}/api`;
  }

  get gatewayUrl(): string {
    return `ws://${this.#origin}/gateway`;
  }

  /** Gateway connections that finished IDENTIFY or RESUME and are open. */
  get liveSessions(): number {
    return [...this.#sessions.values()].filter((s) => s.socket?.readyState === 1).length;
  }

  script(route: string, ...failures: DiscordFailure[]): void {
    this.#scripts.set(route, [...(this.#scripts.get(route) ?? []), ...failures]);
  }

  /** A guild text channel (created on first use) and its guild. */
  channel(channelId: string, guildId: string): void {
    this.#guilds.add(guildId);
    if (!this.#channels.has(channelId))
      this.#channels.set(channelId, { id: channelId, type: GUILD_TEXT, guildId });
  }

  /** A public thread under `parentId`, announced with THREAD_CREATE. */
  thread(threadId: string, parentId: string, guildId: string): void {
    this.channel(parentId, guildId);
    this.#channels.set(threadId, { id: threadId, type: PUBLIC_THREAD, guildId, parentId });
    this.dispatch('THREAD_CREATE', this.#channelJson(this.#channels.get(threadId) as Channel));
  }

  /** A DM from `from` to the bot; returns the message id. */
  dm(from: FakeDiscordUser, content: string, opts: { messageId?: string } = {}): string {
    const channel = this.#dmChannel(from);
    return this.#message(channel, from, content, { ...opts });
  }

  /** A message in a guild channel (or thread); returns the message id. */
  guildMessage(input: {
    guildId: string;
    channelId: string;
    from: FakeDiscordUser;
    content: string;
    mentionBot?: boolean;
    roles?: string[];
    replyToBot?: string;
    messageId?: string;
  }): string {
    if (!this.#channels.has(input.channelId)) this.channel(input.channelId, input.guildId);
    const channel = this.#channels.get(input.channelId) as Channel;
    const content = input.mentionBot ? `<@${this.bot.id}> ${input.content}` : input.content;
    return this.#message(channel, input.from, content, input);
  }

  /** Send a dispatch to every live session (kept for replay on RESUME). */
  dispatch(t: string, d: unknown): void {
    for (const s of this.#sessions.values()) this.#send(s, t, d);
  }

  /** Close every gateway connection with `code` (4000 "unknown error" makes clients RESUME). */
  disconnectAll(code = 4000): void {
    for (const ws of this.#wss.clients) ws.close(code, 'fake: disconnect');
  }

  async waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake discord: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Messages the bot made visible in a channel, or in the DM with a user. */
  inChannel(id: string): DiscordVisible[] {
    return this.visible.filter((m) => m.channelId === id || m.recipientId === id);
  }

  async close(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #id(): string {
    return String(1_200_000_000_000_000_000n + this.#nextId++);
  }

  #dmChannel(user: FakeDiscordUser): Channel {
    for (const c of this.#channels.values()) if (c.type === DM && c.recipient?.id === user.id) return c;
    const channel: Channel = { id: this.#id(), type: DM, recipient: user };
    this.#channels.set(channel.id, channel);
    return channel;
  }

  #message(
    channel: Channel,
    from: FakeDiscordUser,
    content: string,
    opts: { messageId?: string; roles?: string[]; replyToBot?: string; mentionBot?: boolean },
  ): string {
    const id = opts.messageId ?? this.#id();
    const mentioned = content.includes(`<@${this.bot.id}>`);
    const hidden = channel.guildId !== undefined && !mentioned && !(this.#intents & MESSAGE_CONTENT_INTENT);
    const d: Record<string, unknown> = {
      id,
      channel_id: channel.id,
      author: { discriminator: '0', avatar: null, ...from },
      content: hidden ? '' : content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: mentioned ? [{ ...this.bot, discriminator: '0', avatar: null }] : [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: opts.replyToBot ? 19 : 0,
    };
    if (channel.guildId) {
      d.guild_id = channel.guildId;
      d.member = { roles: opts.roles ?? [], joined_at: new Date(0).toISOString(), deaf: false, mute: false };
    }
    if (opts.replyToBot) {
      d.message_reference = { message_id: opts.replyToBot, channel_id: channel.id };
      d.referenced_message = {
        id: opts.replyToBot,
        channel_id: channel.id,
        author: { ...this.bot, discriminator: '0', avatar: null },
        content: this.visible.find((m) => m.messageId === opts.replyToBot)?.content ?? '…',
      };
    }
    this.dispatch('MESSAGE_CREATE', d);
    return id;
  }

  #channelJson(c: Channel): Record<string, unknown> {
    const out: Record<string, unknown> = { id: c.id, type: c.type };
    if (c.guildId) out.guild_id = c.guildId;
    if (c.parentId) out.parent_id = c.parentId;
    if (c.recipient) out.recipients = [{ discriminator: '0', avatar: null, ...c.recipient }];
    if (c.type === GUILD_TEXT) out.name = `channel-${c.id.slice(-4)}`;
    return out;
  }

  // ---- gateway ----

  #gateway(ws: WebSocket): void {
    let session: Session | undefined;
    const op = (o: number, d: unknown) => ws.send(JSON.stringify({ op: o, d, s: null, t: null }));
    op(10, { heartbeat_interval: this.heartbeatIntervalMs });
    ws.on('message', (raw) => {
      let payload: { op?: number; d?: Record<string, unknown> | number | null };
      try {
        payload = JSON.parse(String(raw));
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      const d = (payload.d ?? {}) as Record<string, unknown>;
      switch (payload.op) {
        case 1:
          this.heartbeats++;
          op(11, null);
          break;
        case 2: {
          if (session) return ws.close(4005, 'Already authenticated');
          this.identifies.push({ token: String(d.token), intents: Number(d.intents) });
          if (d.token !== this.token) return ws.close(4004, 'Authentication failed');
          this.#intents = Number(d.intents);
          session = { id: randomUUID().replace(/-/g, ''), seq: 0, sent: [], socket: ws };
          this.#sessions.set(session.id, session);
          this.#send(session, 'READY', {
            v: 10,
            user: { ...this.bot, discriminator: '0', avatar: null },
            guilds: [...this.#guilds].map((id) => ({ id, unavailable: true })),
            session_id: session.id,
            resume_gateway_url: this.gatewayUrl,
            shard: [0, 1],
            application: { id: this.bot.id, flags: 0 },
          });
          for (const g of this.#guilds) this.#send(session, 'GUILD_CREATE', this.#guildJson(g));
          break;
        }
        case 6: {
          const found = this.#sessions.get(String(d.session_id));
          this.resumes.push({ sessionId: String(d.session_id), seq: Number(d.seq) });
          if (!found || d.token !== this.token) {
            op(9, false);
            return;
          }
          session = found;
          found.socket = ws;
          for (const e of found.sent.filter((e) => e.s > Number(d.seq))) {
            ws.send(JSON.stringify({ op: 0, s: e.s, t: e.t, d: e.d }));
          }
          this.#send(found, 'RESUMED', {});
          break;
        }
        default:
          break;
      }
    });
  }

  #guildJson(guildId: string): Record<string, unknown> {
    const channels = [...this.#channels.values()].filter((c) => c.guildId === guildId);
    return {
      id: guildId,
      name: `guild-${guildId.slice(-4)}`,
      unavailable: false,
      channels: channels.filter((c) => c.type === GUILD_TEXT).map((c) => this.#channelJson(c)),
      threads: channels.filter((c) => c.type === PUBLIC_THREAD).map((c) => this.#channelJson(c)),
      roles: [],
      members: [],
    };
  }

  #send(session: Session, t: string, d: unknown): void {
    session.seq++;
    session.sent.push({ s: session.seq, t, d });
    if (session.sent.length > 1000) session.sent.shift();
    if (session.socket?.readyState === 1) {
      session.socket.send(JSON.stringify({ op: 0, s: session.seq, t, d }));
    }
  }

  // ---- REST ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const method = req.method ?? 'GET';
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    this.calls.push({ method, path, body });
    if (!url.pathname.startsWith('/api/v10/')) return json(res, 404, { message: '404: Not Found', code: 0 });
    if (req.headers.authorization !== `Bot ${this.token}`)
      return json(res, 401, { message: '401: Unauthorized', code: 0 });
    const route = `${method} ${path.replace(/\/-?\d+/g, '/:id').replace(/\/reactions\/[^/]+/, '/reactions/:emoji')}`;
    const failure = this.#scripts.get(route)?.shift();
    if (failure && !('drop' in failure)) {
      if (failure.status === 429) {
        const after = failure.retryAfter ?? 0.05;
        return json(
          res,
          429,
          { message: 'You are being rate limited.', retry_after: after, global: false },
          { 'retry-after': String(Math.ceil(after)), 'x-ratelimit-scope': 'user' },
        );
      }
      return json(res, failure.status, {
        message: failure.message ?? `${failure.status}: fake failure`,
        code: failure.code ?? 0,
      });
    }
    const [status, answer] = this.#route(method, path, body);
    if (failure && 'drop' in failure) {
      req.socket.destroy();
      return;
    }
    if (status === 204) {
      res.writeHead(204).end();
      return;
    }
    json(res, status, answer);
  }

  #route(method: string, path: string, body: Record<string, unknown>): [number, unknown] {
    const unknownChannel: [number, unknown] = [404, { message: 'Unknown Channel', code: 10003 }];
    if (method === 'GET' && path === '/gateway/bot') {
      return [
        200,
        {
          url: this.gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 60_000, max_concurrency: 1 },
        },
      ];
    }
    if (method === 'GET' && path === '/users/@me')
      return [200, { ...this.bot, discriminator: '0', avatar: null }];
    if (method === 'POST' && path === '/users/@me/channels') {
      const id = String(body.recipient_id ?? '');
      if (!/^\d+$/.test(id)) return [400, { message: 'Invalid Form Body', code: 50035 }];
      return [200, this.#channelJson(this.#dmChannel({ id, username: `user-${id}` }))];
    }
    let m = /^\/channels\/(-?\d+)$/.exec(path);
    if (method === 'GET' && m) {
      const c = this.#channels.get(m[1] ?? '');
      return c ? [200, this.#channelJson(c)] : unknownChannel;
    }
    m = /^\/channels\/(-?\d+)\/messages$/.exec(path);
    if (method === 'POST' && m) {
      const c = this.#channels.get(m[1] ?? '');
      if (!c) return unknownChannel;
      const content = typeof body.content === 'string' ? body.content : '';
      if (content.trim() === '') return [400, { message: 'Cannot send an empty message', code: 50006 }];
      if (content.length > 2000) {
        return [
          400,
          {
            message: 'Invalid Form Body',
            code: 50035,
            errors: {
              content: {
                _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }],
              },
            },
          },
        ];
      }
      const v: DiscordVisible = { channelId: c.id, messageId: this.#id(), content };
      const ref = body.message_reference as { message_id?: string } | undefined;
      if (ref?.message_id) v.replyTo = ref.message_id;
      if (c.recipient) v.recipientId = c.recipient.id;
      if (body.allowed_mentions !== undefined) v.allowedMentions = body.allowed_mentions;
      this.visible.push(v);
      return [
        200,
        {
          id: v.messageId,
          channel_id: c.id,
          author: { ...this.bot, discriminator: '0', avatar: null },
          content,
          timestamp: new Date().toISOString(),
          type: v.replyTo ? 19 : 0,
        },
      ];
    }
    m = /^\/channels\/(-?\d+)\/typing$/.exec(path);
    if (method === 'POST' && m) {
      if (!this.#channels.has(m[1] ?? '')) return unknownChannel;
      this.typing.push({ channelId: m[1] ?? '' });
      return [204, undefined];
    }
    m = /^\/channels\/(-?\d+)\/messages\/(-?\d+)\/reactions\/([^/]+)\/@me$/.exec(path);
    if (method === 'PUT' && m) {
      if (!this.#channels.has(m[1] ?? '')) return unknownChannel;
      this.reactions.push({
        channelId: m[1] ?? '',
        messageId: m[2] ?? '',
        emoji: m[3] ?? '',
      });
      return [204, undefined];
    }
    return [404, { message: '404: Not Found', code: 0 }];
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
