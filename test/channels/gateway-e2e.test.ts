/**
 * Telegram through a real gateway process: `carapace gateway run` with channels.telegram pointed at the
 * fake Bot API (behind a proxy the test can take down) and the model at the fake model server. Every
 * owner action goes through the built CLI: pairing list/approve, channels status/logout, message send.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelsStatus, chunkText } from '../../src/channels/index.js';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { FakeTelegram, parseTelegramHtml } from '../fakes/fake-telegram.js';
import { spawnCli } from '../helpers/cli.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { TcpProxy } from './tcp-proxy.js';

const ALICE = { id: 42001, first_name: 'Alice' };
const BOB = { id: 42002, first_name: 'Bob' };
const GROUP = { id: -100200, type: 'supergroup' as const, title: 'Team' };
const CODE = /Your pairing code: ([A-Z2-9]{8})/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;
let stateDir: string;
let telegram: FakeTelegram;
let proxy: TcpProxy;
let model: FakeModelServer;
let gateway: ChildProcess | undefined;

/** The built CLI against the gateway of `stateDir` (found through its lock file, as a user would). */
function carapace(args: string[]): Promise<Run> {
  const child = spawnCli([...args, '--state-dir', stateDir], { HOME: home, NO_COLOR: '1' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

async function channelsStatus(): Promise<ChannelsStatus> {
  const run = await carapace(['channels', 'status', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as ChannelsStatus;
}

/** What a chat shows: the visible text of each message the bot sent there. */
const shown = (chatId: number) =>
  telegram.inChat(chatId).map((m) => (m.parseMode === 'HTML' ? parseTelegramHtml(m.text) : m.text) ?? '');

const sendCalls = (text: string) =>
  telegram.calls.filter((c) => c.method === 'sendMessage' && String(c.payload.text).includes(text));

const outboundFile = () => join(stateDir, 'channels', 'telegram', 'default', 'outbound.jsonl');

async function outboundRecords(): Promise<{ t: string; id?: string; c?: { id: string; text: string } }[]> {
  const text = await readFile(outboundFile(), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { t: string; id?: string; c?: { id: string; text: string } });
}

/** Resolve when `check` resolves true (polled); fail with `what` after 20 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A ~10,000-character reply in paragraphs of plain words. */
function longReply(): string {
  const paragraphs: string[] = [];
  for (let i = 1; paragraphs.join('\n\n').length < 10_000; i++) {
    paragraphs.push(`Paragraph ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(11).trim()}.`);
  }
  return paragraphs.join('\n\n').slice(0, 10_000).trimEnd();
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'carapace-tg-e2e-'));
  stateDir = join(home, 'state');
  telegram = await FakeTelegram.start();
  proxy = await TcpProxy.start(Number(new URL(telegram.apiRoot).port));
  model = await startFakeModelServer();
  const tokenFile = join(home, 'telegram-token');
  await writeFile(tokenFile, `${telegram.token}\n`, { mode: 0o600 });
  await mkdir(stateDir, { recursive: true });
  const config = {
    ...fakeModelConfig(model, { contextWindow: 100_000, maxTokens: 1000 }),
    channels: {
      telegram: {
        accounts: {
          default: {
            botToken: { source: 'file', path: tokenFile },
            apiRoot: proxy.url,
            dmPolicy: 'pairing',
            groups: { [String(GROUP.id)]: { requireMention: true } },
          },
        },
      },
    },
  };
  await writeFile(join(stateDir, 'carapace.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
  gateway = (await startGatewayProcess(stateDir)).child;
  await telegram.waitFor(() => telegram.calls.some((c) => c.method === 'getUpdates'), 'polling to start');
});

afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    gateway.kill('SIGTERM');
    await once(gateway, 'exit');
  }
  await proxy?.close();
  await telegram?.close();
  await model?.close();
  await rm(home, { recursive: true, force: true });
});

describe('telegram through a gateway process and the CLI', { timeout: 120_000 }, () => {
  let code = '';

  it('an unknown DM gets a pairing code and starts no model request', async () => {
    telegram.userMessage({ from: ALICE, text: 'hello bot' });
    await telegram.waitFor(() => shown(ALICE.id).length === 1, 'the pairing reply');
    const match = CODE.exec(shown(ALICE.id)[0] ?? '');
    expect(match).not.toBeNull();
    code = match?.[1] ?? '';
    expect(shown(ALICE.id)[0]).toContain(`carapace pairing approve telegram ${code}`);
    expect(model.requests).toHaveLength(0);

    const list = await carapace(['pairing', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).not.toContain('no gateway is running');
    const { requests } = JSON.parse(list.stdout) as { requests: { code: string; senderId: string }[] };
    expect(requests).toEqual([expect.objectContaining({ code, senderId: String(ALICE.id) })]);
    const table = await carapace(['pairing', 'list']);
    expect(table.stdout).toMatch(
      new RegExp(`^telegram\\s+default\\s+${code}\\s+${ALICE.id} \\(Alice\\)`, 'm'),
    );
  });

  it('`carapace pairing approve telegram <code>`: the sender is told, and the next DM gets the model reply', async () => {
    const approve = await carapace(['pairing', 'approve', 'telegram', code.toLowerCase()]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`approved: ${ALICE.id} (Alice) may now message telegram/default`);
    await telegram.waitFor(() => shown(ALICE.id).length === 2, 'the approval notice');
    expect(shown(ALICE.id)[1]).toContain('Pairing approved');
    expect(JSON.parse((await carapace(['pairing', 'list', '--json'])).stdout)).toEqual({ requests: [] });
    const again = await carapace(['pairing', 'approve', 'telegram', code]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no pending pairing code '${code}'`);

    model.enqueue({ type: 'reply', text: 'Hello Alice, the **model** speaks.' });
    telegram.userMessage({ from: ALICE, text: 'hello again' });
    await telegram.waitFor(() => shown(ALICE.id).length === 3, 'the model reply');
    expect(shown(ALICE.id)[2]).toBe('Hello Alice, the model speaks.');
    expect(telegram.inChat(ALICE.id)[2]?.text).toBe('Hello Alice, the <b>model</b> speaks.');
    expect(model.requests).toHaveLength(1);
    expect(JSON.stringify(model.requests[0]?.body)).toContain('hello again');
  });

  it('a group message without a mention is not answered; one with a mention is, with the other as context', async () => {
    model.enqueue({ type: 'reply', text: 'Noon works for me.' });
    telegram.userMessage({ from: BOB, chat: GROUP, text: 'lunch at noon, anyone?' });
    const asked = telegram.userMessage({
      from: BOB,
      chat: GROUP,
      text: 'what do you think?',
      mentionBot: true,
    });
    await telegram.waitFor(() => shown(GROUP.id).length === 1, 'the group reply');
    expect(shown(GROUP.id)).toEqual(['Noon works for me.']);
    expect(telegram.inChat(GROUP.id)[0]?.replyTo).toBe(asked);
    // One model request for two group messages: the unmentioned one only rode along as context.
    expect(model.requests).toHaveLength(2);
    const body = JSON.stringify(model.requests[1]?.body);
    expect(body).toContain('what do you think?');
    expect(body).toContain('lunch at noon, anyone?');
  });

  it('a 10,000-character reply arrives as chunks cut at paragraph boundaries, each within the limit', async () => {
    const text = longReply();
    expect(text.length).toBeGreaterThanOrEqual(9_990);
    const expected = chunkText(text, 4000);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    model.enqueue({ type: 'reply', text });
    const before = shown(ALICE.id).length;
    telegram.userMessage({ from: ALICE, text: 'tell me a long story' });
    await telegram.waitFor(() => shown(ALICE.id).length === before + expected.length, 'every chunk');
    const chunks = shown(ALICE.id).slice(before);
    expect(chunks).toEqual(expected);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(4096);
    expect(chunks.join('\n\n')).toBe(text);
    for (const c of chunks) expect(c).toMatch(/^Paragraph \d+: /);
  });

  it('a reply made while the Bot API is down is delivered once it is back, exactly once', async () => {
    const reply = 'Delivered after the outage.';
    const retriesBefore = (await outboundRecords()).filter((r) => r.t === 'retry').length;
    // The API goes down while the model is answering: the reply is ready when nothing can be sent.
    model.enqueue(() => {
      proxy.down();
      return { type: 'reply', text: reply };
    });
    const before = shown(ALICE.id).length;
    telegram.userMessage({ from: ALICE, text: 'are you still there?' });
    await until(
      async () => (await outboundRecords()).filter((r) => r.t === 'retry').length > retriesBefore,
      'a failed send attempt while the API is down',
    );
    expect(sendCalls(reply)).toHaveLength(0);
    const whileDown = (await channelsStatus()).channelAccounts.telegram?.[0];
    expect(whileDown).toMatchObject({ connected: false, lastError: expect.stringMatching(/^getUpdates: /) });
    expect(whileDown?.stats?.pending).toBe(1);

    await proxy.up();
    await telegram.waitFor(() => shown(ALICE.id).length === before + 1, 'the delayed reply', 20_000);
    expect(shown(ALICE.id).at(-1)).toBe(reply);
    const records = await outboundRecords();
    const chunk = records.find((r) => r.t === 'chunk' && r.c?.text === reply)?.c;
    await until(
      async () => (await outboundRecords()).some((r) => r.t === 'sent' && r.id === chunk?.id),
      'the sent record',
    );
    expect(sendCalls(reply)).toHaveLength(1);
    expect(telegram.visible.filter((m) => m.text === reply)).toHaveLength(1);
    await until(
      async () => (await channelsStatus()).channelAccounts.telegram?.[0]?.connected === true,
      'channels status to show the account connected again',
    );
    const after = await channelsStatus();
    expect(after.channelAccounts.telegram?.[0]?.stats).toMatchObject({ pending: 0, failed: 0 });
  });

  it('`carapace message send` delivers without a model run', async () => {
    const requests = model.requests.length;
    const run = await carapace([
      'message',
      'send',
      '--channel',
      'telegram',
      '--to',
      String(ALICE.id),
      '--text',
      'A note from the owner.',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`sent to telegram/default → ${ALICE.id}: 1 message`);
    const json = await carapace([
      'message',
      'send',
      '--to',
      String(ALICE.id),
      '--text',
      'And a second one.',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const sent = JSON.parse(json.stdout) as { channel: string; chunks: number; messageIds: string[] };
    expect(sent).toMatchObject({
      channel: 'telegram',
      accountId: 'default',
      to: String(ALICE.id),
      chunks: 1,
    });
    expect(sent.messageIds).toEqual([String(telegram.inChat(ALICE.id).at(-1)?.messageId)]);
    expect(shown(ALICE.id).slice(-2)).toEqual(['A note from the owner.', 'And a second one.']);
    expect(model.requests).toHaveLength(requests);
  });

  it('a delivery that finally fails after retries exits 1 and shows up in channels status', async () => {
    const text = 'This one never arrives.';
    telegram.script(
      'sendMessage',
      { status: 500 },
      { status: 500 },
      { status: 403, description: 'Forbidden: bot was blocked by the user' },
    );
    const run = await carapace(['message', 'send', '--to', String(ALICE.id), '--text', text]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('403 Forbidden: bot was blocked by the user');
    expect(sendCalls(text)).toHaveLength(3);
    expect(shown(ALICE.id)).not.toContain(text);

    const status = await channelsStatus();
    const account = status.channelAccounts.telegram?.[0];
    expect(account?.stats).toMatchObject({ pending: 0, failed: 1, unknown: 0 });
    expect(account?.lastError).toBe(
      'delivery failed: telegram sendMessage: 403 Forbidden: bot was blocked by the user',
    );
    const table = await carapace(['channels', 'status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^CHANNEL\s+ACCOUNT\s+STATE\s+BOT\s+LAST IN\s+LAST OUT\s+PENDING\s+FAILED$/m,
    );
    expect(table.stdout).toMatch(/^telegram\s+default\s+connected\s+@carapace_test_bot\s+.+\s0\s+1$/m);
    expect(table.stdout).toContain('telegram/default: delivery failed: telegram sendMessage: 403');
  });

  it('`carapace channels logout telegram` stops the account', async () => {
    const run = await carapace(['channels', 'logout', 'telegram']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('logged out: telegram/default is stopped');
    const account = (await channelsStatus()).channelAccounts.telegram?.[0];
    expect(account).toMatchObject({ running: false, connected: false, loggedOut: true });
    expect((await carapace(['channels', 'status'])).stdout).toMatch(/^telegram\s+default\s+logged out\s/m);
    const unknown = await carapace(['channels', 'logout', 'irc']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown channel 'irc'");
  });

  it('`carapace channels add` through the running gateway starts the account without a restart; remove stops it', async () => {
    const tokenFile = join(home, 'telegram-token');
    const add = await carapace([
      'channels',
      'add',
      'telegram',
      '--account',
      'second',
      '--token-file',
      tokenFile,
      '--api-root',
      proxy.url,
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('through the running gateway');
    await until(async () => {
      const accounts = (await channelsStatus()).channelAccounts.telegram ?? [];
      return accounts.some((a) => a.accountId === 'second' && a.connected);
    }, 'the added account to connect');
    const remove = await carapace(['channels', 'remove', 'telegram', '--account', 'second']);
    expect(remove.code, remove.stderr).toBe(0);
    const accounts = (await channelsStatus()).channelAccounts.telegram ?? [];
    expect(accounts.map((a) => a.accountId)).toEqual(['default']);
  });
});
