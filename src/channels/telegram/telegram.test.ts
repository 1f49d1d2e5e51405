import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegram, parseTelegramHtml } from '../../../test/fakes/fake-telegram.js';
import { type Config, resolvePaths, type StatePaths, validateConfig } from '../../config/index.js';
import type { InboundEnvelope } from '../../routing/index.js';
import { isCarapaceError, systemClock } from '../../shared/index.js';
import { accountPaths } from '../account.js';
import type { ChannelLogger } from '../contract.js';
import { ChannelManager } from '../manager.js';
import { OutboundQueue } from '../outbound-queue.js';

const ALICE = { id: 42001, first_name: 'Alice' };
const BOB = { id: 42002, first_name: 'Bob' };
const GROUP = { id: -100200, type: 'supergroup' as const, title: 'Team' };

interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

function captureLogger(lines: LogLine[]): ChannelLogger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('telegram channel end to end (real grammY adapter, fake Bot API)', () => {
  let fake: FakeTelegram;
  let stateDir: string;
  let paths: StatePaths;
  let config: Config;
  let manager: ChannelManager | undefined;
  let submissions: { envelope: InboundEnvelope; sessionKey: string; key: string }[];
  let events: { event: string; payload: Record<string, unknown> }[];
  let sleeps: number[];
  let logs: LogLine[];
  let reply: (env: InboundEnvelope) => string;

  function makeConfig(account: Record<string, unknown> = {}): Config {
    const r = validateConfig({
      channels: {
        telegram: {
          accounts: {
            default: {
              botToken: { source: 'env', id: 'TG_TOKEN' },
              apiRoot: fake.apiRoot,
              groups: { [String(GROUP.id)]: { requireMention: true } },
              ...account,
            },
          },
        },
      },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.config;
  }

  async function startManager(): Promise<ChannelManager> {
    const m = new ChannelManager({
      config: () => config,
      paths,
      env: { TG_TOKEN: fake.token },
      logger: captureLogger(logs),
      clock: systemClock,
      emit: (event, payload) => events.push({ event, payload: payload as Record<string, unknown> }),
      sink: {
        submit: async (envelope, route, key) => {
          submissions.push({ envelope, sessionKey: route.sessionKey, key });
          return { text: reply(envelope) };
        },
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      telegramPollTimeoutSeconds: 1,
    });
    manager = m;
    await m.start();
    await fake.waitFor(() => m.status().channelAccounts.telegram?.[0]?.connected === true, 'connected');
    return m;
  }

  const handled = () => manager?.status().channelAccounts.telegram?.[0]?.stats?.handled ?? 0;
  const shown = (chatId: number) =>
    fake.inChat(chatId).map((m) => (m.parseMode === 'HTML' ? (parseTelegramHtml(m.text) ?? m.text) : m.text));

  beforeEach(async () => {
    fake = await FakeTelegram.start();
    stateDir = await mkdtemp(join(tmpdir(), 'carapace-telegram-'));
    paths = resolvePaths({ stateDir }, {});
    config = makeConfig();
    submissions = [];
    events = [];
    sleeps = [];
    logs = [];
    reply = (env) => `echo: ${env.text}`;
  });

  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await fake.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('pairs an unknown DM sender, then answers with chunked Telegram HTML messages', async () => {
    const m = await startManager();
    fake.userMessage({ from: ALICE, text: 'hello bot' });
    await fake.waitFor(() => fake.inChat(ALICE.id).length === 1, 'pairing reply');
    const code = /\b([A-Z2-9]{8})\b/.exec(shown(ALICE.id)[0] ?? '')?.[1] ?? '';
    expect(code).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/);
    expect(events).toEqual([
      {
        event: 'pairing.requested',
        payload: expect.objectContaining({ channel: 'telegram', code, senderId: '42001' }),
      },
    ]);
    expect(submissions).toHaveLength(0);

    await m.pairingApprove({ channel: 'telegram', code });
    await fake.waitFor(() => fake.inChat(ALICE.id).length === 2, 'approval notice');

    const paragraph = (n: number) => `**Part ${n}.** ${'All good & fine <ok>. '.repeat(60)}`;
    const long = Array.from({ length: 6 }, (_, i) => paragraph(i + 1)).join('\n\n');
    reply = () => long;
    const asked = fake.userMessage({ from: ALICE, text: 'tell me a long story' });
    await fake.waitFor(() => fake.inChat(ALICE.id).length >= 4 && handled() === 2, 'chunked reply');
    expect(submissions).toHaveLength(1);
    expect(submissions[0]?.key).toBe(`telegram:default:${ALICE.id}:${asked}`);
    expect(submissions[0]?.sessionKey).toBe('agent:main:main');
    const replies = fake.inChat(ALICE.id).slice(2);
    expect(replies.length).toBeGreaterThanOrEqual(2);
    for (const r of replies) {
      expect(r.parseMode).toBe('HTML');
      expect(r.text).toContain('<b>Part');
      expect(parseTelegramHtml(r.text)?.length).toBeLessThanOrEqual(4096);
    }
    const visible = replies.map((r) => parseTelegramHtml(r.text) ?? '').join('\n\n');
    expect(visible).toBe(long.replace(/\*\*/g, ''));
    expect(fake.chatActions.some((a) => a.chatId === String(ALICE.id) && a.action === 'typing')).toBe(true);
  });

  it('gives each approved sender their own session once a second sender is allowed', async () => {
    config = makeConfig({ dmPolicy: 'allowlist', allowFrom: [String(ALICE.id), String(BOB.id)] });
    await startManager();
    fake.userMessage({ from: ALICE, text: 'one' });
    fake.userMessage({ from: BOB, text: 'two' });
    await fake.waitFor(() => submissions.length === 2 && fake.visible.length === 2, 'both answered');
    expect(submissions.map((s) => s.sessionKey).sort()).toEqual([
      'agent:main:telegram:dm:42001',
      'agent:main:telegram:dm:42002',
    ]);
    expect(logs.filter((l) => l.msg?.includes('per-channel-peer'))).toHaveLength(1);
  });

  it('sets the configured ack reaction on a message whose turn starts', async () => {
    config = makeConfig({ dmPolicy: 'open', ackReaction: '👀' });
    await startManager();
    const id = fake.userMessage({ from: BOB, text: 'react please' });
    await fake.waitFor(() => fake.inChat(BOB.id).length === 1, 'reply');
    expect(fake.reactions).toEqual([{ chatId: String(BOB.id), messageId: id, emoji: '👀' }]);
  });

  it('ignores unmentioned group messages and answers a mention as a reply to it', async () => {
    await startManager();
    fake.userMessage({ from: ALICE, text: 'just chatting', chat: GROUP });
    fake.userMessage({ from: BOB, text: 'still chatting', chat: GROUP });
    await fake.waitFor(() => handled() === 2, 'group messages handled');
    expect(submissions).toHaveLength(0);
    const asked = fake.userMessage({ from: BOB, text: 'what did Alice say?', chat: GROUP, mentionBot: true });
    await fake.waitFor(() => fake.inChat(GROUP.id).length === 1, 'group answer');
    expect(submissions).toHaveLength(1);
    expect(submissions[0]?.envelope.text).toContain('just chatting');
    expect(submissions[0]?.sessionKey).toBe('agent:main:telegram:group:-100200');
    expect(fake.inChat(GROUP.id)[0]?.replyTo).toBe(asked);
    fake.userMessage({
      from: ALICE,
      text: 'answer me',
      chat: GROUP,
      replyTo: { messageId: 1, fromBot: true },
    });
    await fake.waitFor(() => fake.inChat(GROUP.id).length === 2, 'answer to a reply to the bot');
    expect(submissions).toHaveLength(2);
  });

  it('honours 429 retry_after and retries 5xx until delivered once', async () => {
    const m = await startManager();
    fake.script(
      'sendMessage',
      { status: 429, retryAfter: 7 },
      { status: 500 },
      { status: 502 },
      { status: 503 },
    );
    const res = await m.send({
      channel: 'telegram',
      to: String(ALICE.id),
      text: 'persistent',
      idempotencyKey: 'k1',
    });
    expect(fake.inChat(ALICE.id).map((v) => v.text)).toEqual(['persistent']);
    expect(res.messageId).toBe(String(fake.inChat(ALICE.id)[0]?.messageId));
    expect(sleeps[0]).toBe(7000);
    expect(sleeps).toHaveLength(4);
    expect(fake.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(5);
  });

  it('does not resend a message whose response was lost (at most one visible)', async () => {
    const m = await startManager();
    fake.script('sendMessage', { drop: true });
    const err = await m
      .send({ channel: 'telegram', to: String(ALICE.id), text: 'maybe', idempotencyKey: 'k2' })
      .catch((e) => e);
    expect(isCarapaceError(err, 'CHANNEL_DELIVERY_UNKNOWN')).toBe(true);
    await m
      .send({ channel: 'telegram', to: String(ALICE.id), text: 'maybe', idempotencyKey: 'k2' })
      .catch(() => {});
    expect(fake.inChat(ALICE.id)).toHaveLength(1);
    expect(fake.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    expect(logs.some((l) => l.msg?.includes('outcome unknown'))).toBe(true);
  });

  it('delivers a 10-chunk reply as 10 distinct messages in order, and falls back to plain text when HTML is refused', async () => {
    const m = await startManager();
    const parts = Array.from({ length: 10 }, (_, i) => `chunk${i} ${'x'.repeat(3980)}`);
    const res = await m.send({
      channel: 'telegram',
      to: String(BOB.id),
      text: parts.join('\n\n'),
      idempotencyKey: 'k3',
    });
    expect(res.chunks).toBe(10);
    expect(new Set(res.messageIds).size).toBe(10);
    expect(shown(BOB.id)).toEqual(parts);
    await m.send({
      channel: 'telegram',
      to: String(BOB.id),
      text: '**bold _it** still_',
      idempotencyKey: 'k4',
    });
    const last = fake.inChat(BOB.id).at(-1);
    expect(last).toMatchObject({ text: '**bold _it** still_' });
    expect(last?.parseMode).toBeUndefined();
  });

  it('after a crash, resends an unsent chunk and records a possible duplicate for one in flight', async () => {
    const files = accountPaths(paths, 'telegram', 'default');
    const queue = await OutboundQueue.open(files.outbound, systemClock);
    const [inFlight] = await queue.enqueue('reply:crash-1', String(ALICE.id), ['accepted before the crash']);
    await queue.enqueue('reply:crash-2', String(ALICE.id), ['never tried']);
    await queue.markSending(inFlight?.id ?? '');
    await queue.close();
    await startManager();
    await fake.waitFor(() => fake.inChat(ALICE.id).length === 2, 'recovered chunks');
    expect(fake.inChat(ALICE.id).map((v) => v.text)).toEqual(['accepted before the crash', 'never tried']);
    const dup = logs.filter((l) => l.msg?.includes('possible duplicate'));
    expect(dup).toHaveLength(1);
    expect(dup[0]?.obj).toMatchObject({ chunk: 'reply:crash-1#0', possibleDuplicate: true });
  });

  it('never logs the bot token and reports a rejected token in status', async () => {
    config = makeConfig({ botToken: '999:wrong-token-value-xyz' });
    manager = new ChannelManager({
      config: () => config,
      paths,
      logger: captureLogger(logs),
      emit: () => {},
      sink: { submit: async () => ({ text: '' }) },
      sleep: async () => {},
      telegramPollTimeoutSeconds: 1,
    });
    await manager.start();
    await fake.waitFor(
      () => manager?.status().channelAccounts.telegram?.[0]?.lastError !== undefined,
      'error',
    );
    const status = manager.status().channelAccounts.telegram?.[0];
    expect(status).toMatchObject({ connected: false, lastError: 'getMe: 401 Unauthorized' });
    const everything = JSON.stringify({ logs, status: manager.status() });
    expect(everything).not.toContain('wrong-token-value-xyz');
    expect(everything).not.toContain(fake.token);
  });
});
