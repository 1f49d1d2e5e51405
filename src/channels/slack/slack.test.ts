import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../../test/fakes/fake-slack.js';
import { type Config, resolvePaths, type StatePaths, validateConfig } from '../../config/index.js';
import type { InboundEnvelope } from '../../routing/index.js';
import { systemClock } from '../../shared/index.js';
import type { ChannelLogger } from '../contract.js';
import { ChannelManager } from '../manager.js';

const ALICE = { id: 'U0ALICE01' };
const BOB = { id: 'U0BOB0001' };
const GENERAL = 'C0GENERAL';
const RANDOM = 'C0RANDOM1';

describe('slack channel end to end (real Bolt adapter in socket mode, fake Web API + socket)', {
  timeout: 20_000,
}, () => {
  let fakes: FakeSlack[];
  let fake: FakeSlack;
  let stateDir: string;
  let paths: StatePaths;
  let config: Config;
  let manager: ChannelManager | undefined;
  let submissions: { envelope: InboundEnvelope; sessionKey: string; agentId: string }[];
  let logs: { level: string; obj: object; msg?: string | undefined }[];
  let sleeps: number[];
  let reply: (env: InboundEnvelope) => string;

  function account(f: FakeSlack, extra: Record<string, unknown> = {}) {
    return {
      botToken: { source: 'env', id: `BOT_${fakes.indexOf(f)}` },
      appToken: { source: 'env', id: `APP_${fakes.indexOf(f)}` },
      apiUrl: f.apiUrl,
      channels: { [GENERAL]: { requireMention: true } },
      ...extra,
    };
  }

  function makeConfig(accounts: Record<string, unknown>, extra: Record<string, unknown> = {}): Config {
    const r = validateConfig({ channels: { slack: { accounts } }, ...extra });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.config;
  }

  const logger: ChannelLogger = {
    debug: (obj, msg) => logs.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
  };

  async function startManager(): Promise<ChannelManager> {
    const env: Record<string, string> = {};
    fakes.forEach((f, i) => {
      env[`BOT_${i}`] = f.botToken;
      env[`APP_${i}`] = f.appToken;
    });
    const m = new ChannelManager({
      config: () => config,
      paths,
      env,
      logger,
      clock: systemClock,
      emit: () => {},
      sink: {
        submit: async (envelope, route) => {
          submissions.push({ envelope, sessionKey: route.sessionKey, agentId: route.agentId });
          return { text: reply(envelope) };
        },
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    manager = m;
    await m.start();
    const accounts = () => m.status().channelAccounts.slack ?? [];
    await fake.waitFor(() => accounts().length > 0 && accounts().every((a) => a.connected), 'connected');
    return m;
  }

  const handled = () => manager?.status().channelAccounts.slack?.[0]?.stats?.handled ?? 0;

  beforeEach(async () => {
    fake = await FakeSlack.start();
    fakes = [fake];
    stateDir = await mkdtemp(join(tmpdir(), 'carapace-slack-'));
    paths = resolvePaths({ stateDir }, {});
    config = makeConfig({ default: account(fake) });
    submissions = [];
    logs = [];
    sleeps = [];
    reply = (env) => `echo: ${env.text}`;
  });

  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    for (const f of fakes) await f.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('acks every envelope, gates channels by allowlist and mention, and answers in mrkdwn', async () => {
    await startManager();
    fake.channelMessage({ channel: GENERAL, from: ALICE, text: 'lunch at noon?' });
    fake.channelMessage({ channel: RANDOM, from: BOB, text: 'hello', mentionBot: true });
    await fake.waitFor(() => handled() === 2, 'two channel messages handled');
    expect(submissions).toHaveLength(0);
    reply = () => '**Yes**, see [the menu](https://example.com/menu)';
    fake.channelMessage({ channel: GENERAL, from: BOB, text: 'what do you think?', mentionBot: true });
    await fake.waitFor(() => fake.inChannel(GENERAL).length === 1, 'channel answer');
    expect(submissions[0]?.envelope).toMatchObject({
      peer: { kind: 'group', id: GENERAL },
      teamId: fake.team.id,
      mentions: [fake.bot.userId],
      sender: { id: BOB.id },
    });
    expect(submissions[0]?.envelope.text).toContain('lunch at noon?');
    expect(submissions[0]?.envelope.text).toContain('@carapace what do you think?');
    expect(submissions[0]?.sessionKey).toBe(`agent:main:slack:group:${GENERAL}`);
    const answer = fake.inChannel(GENERAL)[0];
    expect(answer?.text).toBe('*Yes*, see <https://example.com/menu|the menu>');
    expect(answer?.threadTs).toBeUndefined();
    expect([...fake.acked].sort()).toEqual([...fake.sent].sort());
  });

  it('answers inside a thread, and a reply in a thread the bot started counts as a mention', async () => {
    await startManager();
    const root = fake.channelMessage({ channel: GENERAL, from: ALICE, text: 'question', mentionBot: true });
    await fake.waitFor(() => fake.inChannel(GENERAL).length === 1, 'first answer');
    fake.channelMessage({
      channel: GENERAL,
      from: BOB,
      text: 'in thread',
      threadTs: root,
      parentUser: fake.bot.userId,
    });
    await fake.waitFor(() => fake.inChannel(GENERAL).length === 2, 'thread answer');
    expect(submissions[1]?.envelope).toMatchObject({
      threadId: root,
      replyTo: { messageId: root, senderId: fake.bot.userId },
    });
    expect(submissions[1]?.sessionKey).toBe(`agent:main:slack:group:${GENERAL}:thread:${root}`);
    expect(fake.inChannel(GENERAL)[1]?.threadTs).toBe(root);
  });

  it('serves two workspaces as two accounts and routes each by team id', async () => {
    const second = await FakeSlack.start({ team: { id: 'T0SECOND1', name: 'Second' } });
    fakes.push(second);
    config = makeConfig(
      { first: account(fake, { dmPolicy: 'open' }), second: account(second, { dmPolicy: 'open' }) },
      {
        agents: { list: [{ id: 'main' }, { id: 'work' }] },
        bindings: [{ agentId: 'work', match: { channel: 'slack', teamId: 'T0SECOND1' } }],
      },
    );
    await startManager();
    fake.dm(ALICE, 'hi from one');
    second.dm(ALICE, 'hi from two');
    await fake.waitFor(() => fake.visible.length === 1 && second.visible.length === 1, 'both answered');
    const byText = Object.fromEntries(
      submissions.map((s) => [s.envelope.text, [s.envelope.accountId, s.agentId]]),
    );
    expect(byText).toEqual({ 'hi from one': ['first', 'main'], 'hi from two': ['second', 'work'] });
    expect(fake.visible[0]).toMatchObject({ channel: `D${ALICE.id}`, text: 'echo: hi from one' });
    expect(second.visible[0]).toMatchObject({ channel: `D${ALICE.id}`, text: 'echo: hi from two' });
  });

  it('reacts in the DM channel and waits out a rate limit before posting once', async () => {
    config = makeConfig({ default: account(fake, { dmPolicy: 'open', ackReaction: '👀' }) });
    await startManager();
    fake.script('chat.postMessage', { status: 429, retryAfter: 3 });
    const ts = fake.dm(BOB, 'hello');
    await fake.waitFor(() => fake.inChannel(BOB.id).length === 1, 'answer');
    expect(fake.reactions).toEqual([{ channel: `D${BOB.id}`, timestamp: ts, name: 'eyes' }]);
    expect(sleeps).toEqual([3000]);
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(2);
  });

  it('reconnects when Slack asks it to, and keeps receiving', async () => {
    config = makeConfig({ default: account(fake, { dmPolicy: 'open' }) });
    await startManager();
    const opens = () => fake.calls.filter((c) => c.method === 'apps.connections.open').length;
    expect(opens()).toBe(1);
    fake.disconnectAll();
    await fake.waitFor(() => opens() === 2 && fake.connections === 1, 'reconnected', 20_000);
    fake.dm(ALICE, 'after reconnect');
    await fake.waitFor(() => fake.inChannel(ALICE.id).length === 1, 'answer after reconnect');
    expect(fake.inChannel(ALICE.id)[0]?.text).toBe('echo: after reconnect');
  }, 30_000);

  it('survives a reconnect that fails for good (revoked app token) and says so in status', async () => {
    await startManager();
    fake.script('apps.connections.open', { error: 'invalid_auth' });
    fake.disconnectAll();
    const status = () => manager?.status().channelAccounts.slack?.[0];
    await fake.waitFor(() => status()?.lastError?.includes('reconnect failed') === true, 'reported', 20_000);
    expect(status()).toMatchObject({
      connected: false,
      lastError: 'socket mode reconnect failed: invalid_auth',
    });
    expect(fake.connections).toBe(0);
  }, 30_000);

  it('reports a rejected bot token in status without logging any token', async () => {
    fakes.push(await FakeSlack.start({ botToken: 'xoxb-the-real-one' }));
    const other = fakes[1] as FakeSlack;
    config = makeConfig({
      default: { ...account(other), botToken: 'xoxb-wrong-token-value', appToken: other.appToken },
    });
    const m = new ChannelManager({
      config: () => config,
      paths,
      logger,
      emit: () => {},
      sink: { submit: async () => ({ text: '' }) },
    });
    manager = m;
    await m.start();
    await fake.waitFor(() => m.status().channelAccounts.slack?.[0]?.running === false, 'stopped');
    expect(m.status().channelAccounts.slack?.[0]?.lastError).toBe('auth.test: invalid_auth');
    expect(other.calls.filter((c) => c.method === 'apps.connections.open')).toHaveLength(0);
    expect(JSON.stringify({ logs, status: m.status() })).not.toMatch(/xoxb-|xapp-/);
  });
});
