/**
 * Shared bits of the reliability battery: a seeded PRNG, waits, the fake model's view of a request, the
 * Telegram pipeline's config and gateway processes to kill.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from '../fakes/fake-model-server.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';

type GatewayProcess = Awaited<ReturnType<typeof startGatewayProcess>>;

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number from the environment (the battery's sizes), else `fallback`. */
export function envInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Resolve once `check` holds (polled every 50 ms); throw naming `what` after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 30_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The text of the last user message of a model request. */
export function lastUser(req: RecordedRequest): string {
  const messages = (req.body.messages as { role: string; content: unknown }[]) ?? [];
  const m = [...messages].reverse().find((x) => x.role === 'user');
  if (typeof m?.content === 'string') return m.content;
  if (Array.isArray(m?.content))
    return m.content.map((p: { text?: string }) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** A Bot API proxy that can hand the bot an update it already got (see `startRedeliveringProxy`). */
export interface RedeliveringProxy {
  /** The `apiRoot` to configure instead of the fake's. */
  readonly apiRoot: string;
  /** Hand the update carrying (chatId, messageId) to the bot `times` more times, unchanged. */
  redeliver(chatId: number, messageId: number, times?: number): void;
  /** How many times the update carrying (chatId, messageId) was handed to the bot so far. */
  delivered(chatId: number, messageId: number): number;
  close(): Promise<void>;
}

type Update = { update_id: number; message?: { message_id: number; chat: { id: number } } };
const updateKey = (chatId: number, messageId: number) => `${chatId}:${messageId}`;

/**
 * A proxy in front of a fake Telegram Bot API (`upstream` is its `apiRoot`) that redelivers updates the
 * way Telegram does when it never saw them confirmed: the same update, same `update_id` and
 * `message_id`, again. Every call is forwarded; a long `getUpdates` is served by short polls upstream so
 * a queued redelivery goes out at once.
 */
export async function startRedeliveringProxy(upstream: string): Promise<RedeliveringProxy> {
  const seen = new Map<string, Update>();
  const counts = new Map<string, number>();
  const queue: Update[] = [];
  let closed = false;
  const count = (updates: Update[]) => {
    for (const u of updates) {
      if (!u.message) continue;
      const k = updateKey(u.message.chat.id, u.message.message_id);
      seen.set(k, u);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  };
  const forward = async (path: string, body: string) => {
    const res = await fetch(`${upstream}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  const getUpdates = async (path: string, body: string, gone: () => boolean) => {
    const params = (body ? JSON.parse(body) : {}) as { timeout?: number };
    const end = Date.now() + (params.timeout ?? 0) * 1000;
    for (;;) {
      if (queue.length > 0) {
        const out = queue.splice(0, 1);
        count(out);
        return { status: 200, text: JSON.stringify({ ok: true, result: out }) };
      }
      const res = await forward(path, JSON.stringify({ ...params, timeout: 0 }));
      const parsed = JSON.parse(res.text) as { ok: boolean; result?: Update[] };
      if (!parsed.ok || (parsed.result?.length ?? 0) > 0 || Date.now() >= end || closed || gone()) {
        count(parsed.result ?? []);
        return res;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const work = path.endsWith('/getUpdates')
        ? getUpdates(path, body, () => res.destroyed)
        : forward(path, body);
      work.then(
        ({ status, text }) => {
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(text);
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    redeliver(chatId, messageId, times = 1) {
      const u = seen.get(updateKey(chatId, messageId));
      if (!u) throw new Error(`no update with message ${messageId} in chat ${chatId} was delivered yet`);
      for (let i = 0; i < times; i++) queue.push(u);
    },
    delivered: (chatId, messageId) => counts.get(updateKey(chatId, messageId)) ?? 0,
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What `telegramPipelineConfig` needs: the fake model, the fake Bot API and who may write to the bot. */
export interface TelegramPipelineOptions {
  modelBaseUrl: string;
  apiKey: string;
  botToken: string;
  apiRoot: string;
  allowFrom: readonly number[];
  /** `session.dmScope` (default: the gateway's). */
  dmScope?: string;
}

/**
 * The config of the reliability tests' pipeline: one fake model (`fake/m`, no retries), one Telegram
 * account with an allowlist, no daily reset and no heartbeats (nothing runs that the test did not send).
 */
export function telegramPipelineConfig(o: TelegramPipelineOptions): Record<string, unknown> {
  return {
    models: {
      providers: {
        fake: {
          baseUrl: o.modelBaseUrl,
          api: 'openai-chat',
          apiKey: o.apiKey,
          models: [{ id: 'm', contextWindow: 100_000, maxTokens: 100 }],
        },
      },
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 10 },
    },
    agents: { defaults: { model: 'fake/m' } },
    session: { ...(o.dmScope ? { dmScope: o.dmScope } : {}), reset: { mode: 'off' } },
    heartbeat: { every: '0m' },
    channels: {
      telegram: {
        accounts: {
          default: {
            botToken: o.botToken,
            apiRoot: o.apiRoot,
            dmPolicy: 'allowlist',
            allowFrom: o.allowFrom.map(String),
          },
        },
      },
    },
  };
}

/** Gateway processes (`carapace gateway run`) on one state dir, SIGKILLed by the test or at the end. */
export class GatewayProcesses {
  readonly #children = new Set<ChildProcess>();

  constructor(private readonly stateDir: () => string) {}

  /** Start one and wait until it is up. */
  async start(): Promise<GatewayProcess> {
    const gw = await startGatewayProcess(this.stateDir());
    this.#children.add(gw.child);
    return gw;
  }

  /** Send `child` SIGKILL (or `signal`, e.g. SIGTERM to let it drain) and wait for it to be gone. */
  kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.#children.delete(child);
    if (child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** SIGKILL whatever is still running (afterAll). */
  killAll(): void {
    for (const c of this.#children) c.kill('SIGKILL');
    this.#children.clear();
  }
}
