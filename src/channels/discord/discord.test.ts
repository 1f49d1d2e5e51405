import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord, MESSAGE_CONTENT_INTENT } from '../../../test/fakes/fake-discord.js';
import { type Config, resolvePaths, type StatePaths, validateConfig } from '../../config/index.js';
import type { InboundEnvelope } from '../../routing/index.js';
import { systemClock } from '../../shared/index.js';
import type { ChannelLogger } from '../contract.js';
import { ChannelManager } from '../manager.js';

const ALICE = { id: '310000000000000001', username: 'alice', global_name: 'Alice' };
const BOB = { id: '310000000000000002', username: 'bob' };
const GUILD = '320000000000000001';
const OTHER_GUILD = '320000000000000002';
const GENERAL = '330000000000000001';
const RANDOM = '330000000000000002';
const THREAD = '330000000000000009';
const MOD_ROLE = '340000000000000001';

describe('discord channel end to end (real @discordjs adapter, fake REST + gateway)', {
  timeout: 20_000,
}, () => {
  let fake: FakeDiscord;
  let stateDir: string;
  let paths: StatePaths;
  let config: Config;
  let manager: ChannelManager | undefined;
  let submissions: { envelope: InboundEnvelope; sessionKey: string; agentId: string }[];
  let logs: { level: string; obj: object; msg?: string | undefined }[];
  let sleeps: number[];
  let reply: (env: InboundEnvelope) => string;

  function makeConfig(account: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Config {
    const r = validateConfig({
      channels: {
        discord: {
          accounts: {
            default: {
              botToken: { source: 'env', id: 'DISCORD_TOKEN' },
              apiUrl: fake.apiUrl,
              guilds: { [GUILD]: { requireMention: true, channels: [GENERAL] } },
              ...account,
            },
          },
        },
      },
      ...extra,
    });
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
    const m = new ChannelManager({
      config: () => config,
      paths,
      env: { DISCORD_TOKEN: fake.token },
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
    await fake.waitFor(() => m.status().channelAccounts.discord?.[0]?.connected === true, 'connected');
    return m;
  }

  const handled = () => manager?.status().channelAccounts.discord?.[0]?.stats?.handled ?? 0;

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatIntervalMs: 200 });
    fake.channel(GENERAL, GUILD);
    fake.channel(RANDOM, GUILD);
    stateDir = await mkdtemp(join(tmpdir(), 'carapace-discord-'));
    paths = resolvePaths({ stateDir }, {});
    config = makeConfig();
    submissions = [];
    logs = [];
    sleeps = [];
    reply = (env) => `echo: ${env.text}`;
  });

  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await fake.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('identifies with the message intents, heartbeats, and reports the bot in status', async () => {
    const m = await startManager();
    expect(fake.identifies).toHaveLength(1);
    expect((fake.identifies[0]?.intents ?? 0) & MESSAGE_CONTENT_INTENT).toBe(MESSAGE_CONTENT_INTENT);
    await fake.waitFor(() => fake.heartbeats >= 2, 'two heartbeats');
    expect(m.status().channelAccounts.discord?.[0]).toMatchObject({
      running: true,
      connected: true,
      self: { id: fake.bot.id, username: fake.bot.username },
    });
    await m.stop();
    expect(fake.liveSessions).toBe(0);
  });

  it('gates guild messages by guild and channel allowlist and mentions, and replies with a reference', async () => {
    await startManager();
    fake.guildMessage({ guildId: GUILD, channelId: GENERAL, from: ALICE, content: 'lunch at noon?' });
    fake.guildMessage({ guildId: GUILD, channelId: RANDOM, from: BOB, content: 'hi', mentionBot: true });
    fake.guildMessage({
      guildId: OTHER_GUILD,
      channelId: '330000000000000077',
      from: BOB,
      content: 'yo',
      mentionBot: true,
    });
    await fake.waitFor(() => handled() === 3, 'three guild messages handled');
    expect(submissions).toHaveLength(0);
    const asked = fake.guildMessage({
      guildId: GUILD,
      channelId: GENERAL,
      from: BOB,
      content: 'what do you think?',
      mentionBot: true,
      roles: [MOD_ROLE],
    });
    await fake.waitFor(() => fake.inChannel(GENERAL).length === 1, 'guild answer');
    const env = submissions[0]?.envelope;
    expect(env).toMatchObject({
      peer: { kind: 'group', id: GENERAL },
      guildId: GUILD,
      roles: [MOD_ROLE],
      mentions: [fake.bot.id],
      sender: { id: BOB.id, name: 'bob' },
    });
    expect(env?.text).toContain('lunch at noon?');
    expect(env?.text).toContain(`@${fake.bot.username} what do you think?`);
    expect(submissions[0]?.sessionKey).toBe(`agent:main:discord:group:${GENERAL}`);
    const answer = fake.inChannel(GENERAL)[0];
    expect(answer).toMatchObject({
      replyTo: asked,
      allowedMentions: { parse: ['users'], replied_user: false },
    });
  });

  it('answers a reply to the bot without a mention, and inside a thread replies into the thread', async () => {
    config = makeConfig({ ackReaction: '👀' });
    await startManager();
    fake.thread(THREAD, GENERAL, GUILD);
    const asked = fake.guildMessage({
      guildId: GUILD,
      channelId: THREAD,
      from: ALICE,
      content: 'in the thread',
      mentionBot: true,
    });
    await fake.waitFor(() => fake.inChannel(THREAD).length === 1, 'thread answer');
    expect(submissions[0]?.envelope).toMatchObject({
      peer: { kind: 'group', id: GENERAL },
      threadId: THREAD,
    });
    expect(submissions[0]?.sessionKey).toBe(`agent:main:discord:group:${GENERAL}:thread:${THREAD}`);
    expect(fake.reactions).toEqual([{ channelId: THREAD, messageId: asked, emoji: '👀' }]);
    const botMessage = fake.inChannel(THREAD)[0]?.messageId ?? '';
    fake.guildMessage({
      guildId: GUILD,
      channelId: GENERAL,
      from: BOB,
      content: 'and you?',
      replyToBot: botMessage,
    });
    await fake.waitFor(() => fake.inChannel(GENERAL).length === 1, 'answer to a reply');
    expect(submissions[1]?.envelope.replyTo).toMatchObject({ messageId: botMessage, senderId: fake.bot.id });
  });

  it('routes by guild roles to the bound agent', async () => {
    config = makeConfig(
      { guilds: { '*': { requireMention: false } } },
      {
        agents: { list: [{ id: 'main' }, { id: 'mods' }] },
        bindings: [{ agentId: 'mods', match: { channel: 'discord', guildId: GUILD, roles: [MOD_ROLE] } }],
      },
    );
    await startManager();
    fake.guildMessage({ guildId: GUILD, channelId: GENERAL, from: ALICE, content: 'member here' });
    fake.guildMessage({
      guildId: GUILD,
      channelId: RANDOM,
      from: BOB,
      content: 'mod here',
      roles: [MOD_ROLE],
    });
    await fake.waitFor(() => submissions.length === 2, 'both submitted');
    const byText = Object.fromEntries(submissions.map((s) => [s.envelope.text, s.agentId]));
    expect(byText).toEqual({ 'member here': 'main', 'mod here': 'mods' });
  });

  it('chunks long replies at 2,000 characters with code fences balanced', async () => {
    config = makeConfig({ dmPolicy: 'open' });
    await startManager();
    const code = Array.from({ length: 120 }, (_, i) => `const line${i} = ${i}; // padding padding`).join(
      '\n',
    );
    reply = () => `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nDone.`;
    fake.dm(ALICE, 'show me code');
    await fake.waitFor(() => fake.inChannel(ALICE.id).some((m) => m.content.endsWith('Done.')), 'all chunks');
    const chunks = fake.inChannel(ALICE.id).map((m) => m.content);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    }
  });

  it('waits out a 429, retries a 5xx, and reports a refused message as fatal without retrying', async () => {
    const m = await startManager();
    fake.channel('330000000000000003', GUILD);
    fake.script('POST /channels/:id/messages', { status: 429, retryAfter: 0.05 }, { status: 500 });
    const sent = await m.send({
      channel: 'discord',
      to: '330000000000000003',
      text: 'persistent',
      idempotencyKey: 'k1',
    });
    expect(fake.inChannel('330000000000000003').map((v) => v.content)).toEqual(['persistent']);
    expect(sent.messageId).toBe(fake.inChannel('330000000000000003')[0]?.messageId);
    expect(sleeps).toHaveLength(1);
    fake.script('POST /channels/:id/messages', { status: 403, code: 50013, message: 'Missing Permissions' });
    const err = await m
      .send({ channel: 'discord', to: '330000000000000003', text: 'nope', idempotencyKey: 'k2' })
      .catch((e) => e);
    expect(String(err.message)).toContain('Missing Permissions');
    expect(sleeps).toHaveLength(1);
  });

  it('resumes the gateway session after a disconnect and keeps receiving', async () => {
    config = makeConfig({ dmPolicy: 'open' });
    await startManager();
    fake.disconnectAll(4000);
    await fake.waitFor(() => fake.resumes.length === 1 && fake.liveSessions === 1, 'resumed');
    expect(fake.identifies).toHaveLength(1);
    fake.dm(BOB, 'after resume');
    await fake.waitFor(() => fake.inChannel(BOB.id).length === 1, 'answer after resume');
    expect(fake.inChannel(BOB.id)[0]?.content).toBe('echo: after resume');
  });

  it('starts an added account, stops a removed one, and logs out', async () => {
    const m = await startManager();
    config.channels.discord.accounts.second = { ...makeConfig().channels.discord.accounts.default } as never;
    await m.reload();
    await fake.waitFor(
      () => (m.status().channelAccounts.discord ?? []).every((a) => a.connected),
      'both connected',
    );
    expect(fake.identifies).toHaveLength(2);
    delete config.channels.discord.accounts.second;
    await m.reload();
    expect(m.status().channelAccounts.discord?.map((a) => a.accountId)).toEqual(['default']);
    expect(await m.logout('discord')).toMatchObject({ accountId: 'default', loggedOut: true });
    expect(m.status().channelAccounts.discord?.[0]).toMatchObject({ running: false, loggedOut: true });
    await fake.waitFor(() => fake.liveSessions === 0, 'no gateway session left');
  });

  it('reports a rejected token in status without ever logging it', async () => {
    config = makeConfig({ botToken: 'wrong-token-value-xyz' });
    const m = new ChannelManager({
      config: () => config,
      paths,
      logger,
      emit: () => {},
      sink: { submit: async () => ({ text: '' }) },
    });
    manager = m;
    await m.start();
    await fake.waitFor(() => m.status().channelAccounts.discord?.[0]?.running === false, 'stopped');
    expect(m.status().channelAccounts.discord?.[0]?.lastError).toContain('401');
    expect(fake.identifies).toHaveLength(0);
    expect(JSON.stringify({ logs, status: m.status() })).not.toContain('wrong-token-value-xyz');
  });
});

describe('discord and slack account config', () => {
  it('refuses URLs of the wrong scheme, so a bad gatewayUrl can never reach the WebSocket client', () => {
    const bad = validateConfig({
      channels: {
        discord: { accounts: { a: { botToken: 't', gatewayUrl: 'http://127.0.0.1:1/', apiUrl: 'ws://x' } } },
        slack: { accounts: { b: { botToken: 't', apiUrl: 'slack.com/api' } } },
      },
    });
    expect(bad.ok).toBe(false);
    const paths = bad.ok ? [] : bad.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'channels.discord.accounts.a.gatewayUrl',
        'channels.discord.accounts.a.apiUrl',
        'channels.slack.accounts.b.apiUrl',
      ]),
    );
  });
});
