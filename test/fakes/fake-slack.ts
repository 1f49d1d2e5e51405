/**
 * A fake Slack: one server on 127.0.0.1:0 with the Web API under `/api/<method>` (the client's
 * `slackApiUrl`) and a Socket Mode WebSocket under `/link`.
 *
 * Web API: auth.test, apps.connections.open (app token; answers the WSS URL), chat.postMessage
 * (`thread_ts`; a user id as channel posts into that user's DM, as on Slack), reactions.add,
 * conversations.open; any other method answers `{ok: true}`. Bodies are form-encoded or JSON, tokens
 * come as `Authorization: Bearer …`; failures are `{ok:false, error}` or HTTP 429 with Retry-After.
 *
 * Socket Mode: `hello` on connect, then `events_api` envelopes; every envelope must be acked with
 * `{envelope_id}`. Events posted while no client is connected wait for the next connection.
 * `signEventRequest` builds the headers Slack puts on an Events API POST (v0 HMAC-SHA256 signature).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface SlackVisible {
  channel: string;
  ts: string;
  text: string;
  threadTs?: string;
  /** For a DM: the user it went to. */
  user?: string;
}

export type SlackFailure =
  | { error: string }
  | { status: 429; retryAfter?: number }
  | { status: number }
  | { drop: true };

export interface SlackUser {
  id: string;
  name?: string;
}

/** The headers of a signed Events API request: `v0=HMAC_SHA256(secret, "v0:" + ts + ":" + body)`. */
export function signEventRequest(secret: string, body: string, timestampSec: number): Record<string, string> {
  const sig = createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex');
  return {
    'content-type': 'application/json',
    'x-slack-request-timestamp': String(timestampSec),
    'x-slack-signature': `v0=${sig}`,
  };
}

export class FakeSlack {
  readonly visible: SlackVisible[] = [];
  readonly reactions: { channel: string; timestamp: string; name: string }[] = [];
  readonly calls: { method: string; params: Record<string, string> }[] = [];
  /** Envelope ids the client acked. */
  readonly acked: string[] = [];
  /** Envelope ids sent over the socket. */
  readonly sent: string[] = [];
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  readonly #waiting: string[] = [];
  readonly #scripts = new Map<string, SlackFailure[]>();
  readonly #channels = new Set<string>();
  #tsCounter = 0;

  private constructor(
    private readonly server: Server,
    readonly botToken: string,
    readonly appToken: string,
    readonly team: { id: string; name: string },
    readonly bot: { userId: string; botId: string; name: string },
  ) {
    this.#wss = new WebSocketServer({ noServer: true });
  }

  static async start(
    options: { botToken?: string; appToken?: string; team?: { id: string; name: string } } = {},
  ): Promise<FakeSlack> {
    const server = createServer();
    const fake = new FakeSlack(
      server,
      options.botToken ?? 'xoxb-fake-bot-token-0123456789',
      options.appToken ?? 'xapp-1-fake-app-token-0123456789',
      options.team ?? { id: 'T0FAKE001', name: 'Fake Team' },
      { userId: 'U0BOT0001', botId: 'B0BOT0001', name: 'carapace' },
    );
    server.on('request', (req, res) => {
      fake.#handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
    server.on('upgrade', (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/link')) return socket.destroy();
      fake.#wss.handleUpgrade(req, socket, head, (ws) => fake.#connect(ws));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get #origin(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The Web API base to configure (`apiUrl`). */
  get apiUrl(): string {
    return `http://${this.#origin}/api/`;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  script(method: string, ...failures: SlackFailure[]): void {
    this.#scripts.set(method, [...(this.#scripts.get(method) ?? []), ...failures]);
  }

  /** A DM from `from` to the bot (im channel `D<user>`); returns its ts. */
  dm(from: SlackUser, text: string, opts: { ts?: string } = {}): string {
    const ts = opts.ts ?? this.#ts();
    this.postEvent(this.messageEvent({ channel: `D${from.id}`, channelType: 'im', user: from.id, text, ts }));
    return ts;
  }

  /** A message in a channel; `mentionBot` puts `<@bot>` in front. Returns its ts. */
  channelMessage(input: {
    channel: string;
    from: SlackUser;
    text: string;
    mentionBot?: boolean;
    threadTs?: string;
    parentUser?: string;
    ts?: string;
  }): string {
    this.#channels.add(input.channel);
    const ts = input.ts ?? this.#ts();
    const text = input.mentionBot ? `<@${this.bot.userId}> ${input.text}` : input.text;
    const event = this.messageEvent({
      channel: input.channel,
      channelType: 'channel',
      user: input.from.id,
      text,
      ts,
    });
    if (input.threadTs) {
      event.thread_ts = input.threadTs;
      event.parent_user_id = input.parentUser ?? input.from.id;
    }
    this.postEvent(event);
    return ts;
  }

  messageEvent(e: {
    channel: string;
    channelType: string;
    user: string;
    text: string;
    ts: string;
  }): Record<string, unknown> {
    return {
      type: 'message',
      channel: e.channel,
      channel_type: e.channelType,
      user: e.user,
      text: e.text,
      ts: e.ts,
      event_ts: e.ts,
      team: this.team.id,
    };
  }

  /** The Events API body Slack sends for `event` (over the socket or by HTTP POST). */
  eventCallback(event: Record<string, unknown>): Record<string, unknown> {
    return {
      token: 'fake-verification-token',
      team_id: this.team.id,
      api_app_id: 'A0FAKE001',
      event,
      type: 'event_callback',
      event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.team.id,
          user_id: this.bot.userId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
  }

  /** Deliver an event over socket mode (now, or when a client connects). Returns the envelope id. */
  postEvent(event: Record<string, unknown>): string {
    const id = randomUUID();
    const envelope = JSON.stringify({
      envelope_id: id,
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: '',
      payload: this.eventCallback(event),
    });
    this.#waiting.push(envelope);
    this.#flush();
    return id;
  }

  /** Ask connected clients to reconnect, as Slack does before recycling a connection. */
  disconnectAll(): void {
    for (const ws of this.#sockets)
      ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested' }));
  }

  async waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake slack: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Messages the bot made visible in a channel, or in the DM with a user. */
  inChannel(id: string): SlackVisible[] {
    return this.visible.filter((m) => m.channel === id || m.user === id);
  }

  async close(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #ts(): string {
    this.#tsCounter++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.#tsCounter).padStart(6, '0')}`;
  }

  #connect(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.on('close', () => this.#sockets.delete(ws));
    ws.on('message', (raw) => {
      try {
        const msg = JSON.parse(String(raw)) as { envelope_id?: string };
        if (msg.envelope_id) this.acked.push(msg.envelope_id);
      } catch {
        // Not JSON: Slack ignores it too.
      }
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.#sockets.size,
        debug_info: { host: 'fake-slack', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0FAKE001' },
      }),
    );
    this.#flush();
  }

  #flush(): void {
    const ws = [...this.#sockets].find((s) => s.readyState === 1);
    if (!ws) return;
    while (this.#waiting.length > 0) {
      const envelope = this.#waiting.shift() as string;
      this.sent.push((JSON.parse(envelope) as { envelope_id: string }).envelope_id);
      ws.send(envelope);
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const m = /^\/api\/([A-Za-z.]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!m) return json(res, 404, { ok: false, error: 'unknown_method' });
    const method = m[1] ?? '';
    const params: Record<string, string> = {};
    if ((req.headers['content-type'] ?? '').includes('json')) {
      for (const [k, v] of Object.entries(text ? (JSON.parse(text) as Record<string, unknown>) : {})) {
        params[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
    } else for (const [k, v] of new URLSearchParams(text)) params[k] = v;
    this.calls.push({ method, params });
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || params.token;
    const wanted = method === 'apps.connections.open' ? this.appToken : this.botToken;
    if (token !== wanted) return json(res, 200, { ok: false, error: 'invalid_auth' });
    const failure = this.#scripts.get(method)?.shift();
    if (failure && !('drop' in failure)) {
      if ('error' in failure) return json(res, 200, { ok: false, error: failure.error });
      if (failure.status === 429) {
        const after = 'retryAfter' in failure ? (failure.retryAfter ?? 1) : 1;
        return json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(after) });
      }
      return json(res, failure.status, { ok: false, error: 'fake_http_failure' });
    }
    const answer = this.#call(method, params);
    if (failure && 'drop' in failure) {
      req.socket.destroy();
      return;
    }
    json(res, 200, answer);
  }

  #call(method: string, p: Record<string, string>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: this.team.name,
          user: this.bot.name,
          team_id: this.team.id,
          user_id: this.bot.userId,
          bot_id: this.bot.botId,
        };
      case 'apps.connections.open':
        return { ok: true, url: `ws://${this.#origin}/link/?ticket=${randomUUID()}&app_id=A0FAKE001` };
      case 'chat.postMessage': {
        const target = p.channel ?? '';
        if (!target) return { ok: false, error: 'channel_not_found' };
        const text = p.text ?? '';
        if (!text.trim()) return { ok: false, error: 'no_text' };
        if (text.length > 40_000) return { ok: false, error: 'msg_too_long' };
        const dmUser = target.startsWith('D')
          ? target.slice(1)
          : this.#channels.has(target)
            ? undefined
            : target;
        const channel = dmUser !== undefined ? `D${dmUser}` : target;
        const v: SlackVisible = { channel, ts: this.#ts(), text };
        if (p.thread_ts) v.threadTs = p.thread_ts;
        if (dmUser !== undefined) v.user = dmUser;
        this.visible.push(v);
        return {
          ok: true,
          channel,
          ts: v.ts,
          message: { type: 'message', text, user: this.bot.userId, ts: v.ts },
        };
      }
      case 'reactions.add':
        this.reactions.push({ channel: p.channel ?? '', timestamp: p.timestamp ?? '', name: p.name ?? '' });
        return { ok: true };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${(p.users ?? '').split(',')[0]}` } };
      default:
        return { ok: true };
    }
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
