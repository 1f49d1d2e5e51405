/**
 * Discord through a real in-process gateway: channels.discord points at the fake REST + gateway
 * (token from the environment), the model at the fake model server; the owner approves pairing over
 * the WebSocket protocol (`pairing.approve`) and reads `channels.status`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelsStatus } from '../../src/channels/index.js';
import { FakeDiscord } from '../fakes/fake-discord.js';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

const ALICE = { id: '410000000000000001', username: 'alice', global_name: 'Alice' };
const BOB = { id: '410000000000000002', username: 'bob' };
const GUILD = '420000000000000001';
const GENERAL = '430000000000000001';
const CODE = /Your pairing code: ([A-Z2-9]{8})/;

let discord: FakeDiscord;
let model: FakeModelServer;
let h: Harness;
let c: TestClient;

/** The fake model answers every turn with the last user message it was given. */
function echo(req: RecordedRequest) {
  const messages = (req.body.messages as { role: string; content: unknown }[]) ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const text = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
  return {
    type: 'reply' as const,
    text: `model heard: ${text.split('\n').at(-1)}`,
    usage: { input: 5, output: 5 },
  };
}

const modelTurns = () => model.requests.length;

beforeAll(async () => {
  discord = await FakeDiscord.start();
  discord.channel(GENERAL, GUILD);
  model = await startFakeModelServer();
  model.enqueue(...Array.from({ length: 20 }, () => echo));
  h = await startGateway(
    {
      ...fakeModelConfig(model, { contextWindow: 100_000, maxTokens: 1000 }),
      channels: {
        discord: {
          accounts: {
            default: {
              botToken: { source: 'env', id: 'DISCORD_BOT_TOKEN' },
              apiUrl: discord.apiUrl,
              guilds: { [GUILD]: { requireMention: true } },
            },
          },
        },
      },
    },
    { PATH: process.env.PATH ?? '/usr/bin:/bin', DISCORD_BOT_TOKEN: discord.token },
  );
  c = await connectedClient(h.url, h.token);
  await discord.waitFor(() => discord.liveSessions === 1, 'gateway session', 20_000);
}, 60_000);

afterAll(async () => {
  c?.close();
  await h?.cleanup();
  await discord?.close();
  await model?.close();
});

describe('discord through the gateway (fake Discord, fake model)', { timeout: 30_000 }, () => {
  it('channels.status shows the bot connected', async () => {
    const status = (await c.request('channels.status')).payload as ChannelsStatus;
    expect(status.channels.discord).toMatchObject({
      configured: true,
      running: true,
      connected: true,
      accounts: 1,
    });
    expect(status.channelAccounts.discord?.[0]).toMatchObject({
      accountId: 'default',
      self: { id: discord.bot.id },
    });
  });

  it('pairs an unknown DM sender (no model turn), then answers their DMs with the model', async () => {
    discord.dm(ALICE, 'hello there');
    await discord.waitFor(() => discord.inChannel(ALICE.id).length === 1, 'pairing reply');
    const code = CODE.exec(discord.inChannel(ALICE.id)[0]?.content ?? '')?.[1] ?? '';
    expect(discord.inChannel(ALICE.id)[0]?.content).toContain(`carapace pairing approve discord ${code}`);
    expect(modelTurns()).toBe(0);
    const pending = (await c.request('pairing.list', { channel: 'discord' })).payload as {
      requests: { code: string; senderId: string }[];
    };
    expect(pending.requests).toEqual([expect.objectContaining({ code, senderId: ALICE.id })]);

    const approved = await c.request('pairing.approve', { channel: 'discord', code });
    expect(approved.payload).toMatchObject({ ok: true, channel: 'discord', senderId: ALICE.id });
    await discord.waitFor(() => discord.inChannel(ALICE.id).length === 2, 'approval notice');

    discord.dm(ALICE, 'what is two plus two?');
    await discord.waitFor(() => discord.inChannel(ALICE.id).length === 3, 'model reply');
    expect(discord.inChannel(ALICE.id)[2]?.content).toBe('model heard: what is two plus two?');
    expect(modelTurns()).toBe(1);
  });

  it('ignores an unmentioned guild message and answers a mention with the model, as a reply', async () => {
    const before = modelTurns();
    discord.guildMessage({ guildId: GUILD, channelId: GENERAL, from: BOB, content: 'just chatting' });
    const asked = discord.guildMessage({
      guildId: GUILD,
      channelId: GENERAL,
      from: ALICE,
      content: 'summarise please',
      mentionBot: true,
    });
    await discord.waitFor(() => discord.inChannel(GENERAL).length === 1, 'guild reply');
    expect(modelTurns()).toBe(before + 1);
    const answer = discord.inChannel(GENERAL)[0];
    expect(answer).toMatchObject({
      replyTo: asked,
      content: `model heard: @${discord.bot.username} summarise please`,
    });
    const prompt = JSON.stringify(model.requests.at(-1)?.body.messages);
    expect(prompt).toContain('just chatting');
  });
});
