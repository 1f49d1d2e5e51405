/**
 * Slack through a real in-process gateway: channels.slack (socket mode) points at the fake Web API and
 * socket (tokens from the environment), the model at the fake model server; the owner approves pairing
 * over the WebSocket protocol (`pairing.approve`) and reads `channels.status`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelsStatus } from '../../src/channels/index.js';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

const ALICE = { id: 'U0ALICE01' };
const BOB = { id: 'U0BOB0001' };
const GENERAL = 'C0GENERAL';
const CODE = /Your pairing code: ([A-Z2-9]{8})/;

let slack: FakeSlack;
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
  slack = await FakeSlack.start();
  model = await startFakeModelServer();
  model.enqueue(...Array.from({ length: 20 }, () => echo));
  h = await startGateway(
    {
      ...fakeModelConfig(model, { contextWindow: 100_000, maxTokens: 1000 }),
      channels: {
        slack: {
          accounts: {
            default: {
              botToken: { source: 'env', id: 'SLACK_BOT_TOKEN' },
              appToken: { source: 'env', id: 'SLACK_APP_TOKEN' },
              apiUrl: slack.apiUrl,
              channels: { [GENERAL]: { requireMention: true } },
            },
          },
        },
      },
    },
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
    },
  );
  c = await connectedClient(h.url, h.token);
  await slack.waitFor(() => slack.connections === 1, 'socket mode connection', 20_000);
}, 60_000);

afterAll(async () => {
  c?.close();
  await h?.cleanup();
  await slack?.close();
  await model?.close();
});

describe('slack through the gateway (fake Slack, fake model)', { timeout: 30_000 }, () => {
  it('channels.status shows the app connected', async () => {
    const status = (await c.request('channels.status')).payload as ChannelsStatus;
    expect(status.channels.slack).toMatchObject({
      configured: true,
      running: true,
      connected: true,
      accounts: 1,
    });
    expect(status.channelAccounts.slack?.[0]).toMatchObject({
      accountId: 'default',
      self: { id: slack.bot.userId },
    });
  });

  it('pairs an unknown DM sender (no model turn), then answers their DMs with the model', async () => {
    slack.dm(ALICE, 'hello there');
    await slack.waitFor(() => slack.inChannel(ALICE.id).length === 1, 'pairing reply');
    const code = CODE.exec(slack.inChannel(ALICE.id)[0]?.text ?? '')?.[1] ?? '';
    expect(slack.inChannel(ALICE.id)[0]?.text).toContain(`carapace pairing approve slack ${code}`);
    expect(modelTurns()).toBe(0);
    const pending = (await c.request('pairing.list', { channel: 'slack' })).payload as {
      requests: { code: string; senderId: string }[];
    };
    expect(pending.requests).toEqual([expect.objectContaining({ code, senderId: ALICE.id })]);

    const approved = await c.request('pairing.approve', { channel: 'slack', code });
    expect(approved.payload).toMatchObject({ ok: true, channel: 'slack', senderId: ALICE.id });
    await slack.waitFor(() => slack.inChannel(ALICE.id).length === 2, 'approval notice');

    slack.dm(ALICE, 'what is two plus two?');
    await slack.waitFor(() => slack.inChannel(ALICE.id).length === 3, 'model reply');
    expect(slack.inChannel(ALICE.id)[2]?.text).toBe('model heard: what is two plus two?');
    expect(modelTurns()).toBe(1);
  });

  it('ignores an unmentioned channel message and answers a mention with the model, with the history', async () => {
    const before = modelTurns();
    slack.channelMessage({ channel: GENERAL, from: BOB, text: 'just chatting' });
    slack.channelMessage({ channel: GENERAL, from: ALICE, text: 'summarise please', mentionBot: true });
    await slack.waitFor(() => slack.inChannel(GENERAL).length === 1, 'channel reply');
    expect(modelTurns()).toBe(before + 1);
    const answer = slack.inChannel(GENERAL)[0];
    expect(answer?.text).toBe('model heard: @carapace summarise please');
    expect(answer?.threadTs).toBeUndefined();
    const prompt = JSON.stringify(model.requests.at(-1)?.body.messages);
    expect(prompt).toContain('just chatting');
  });
});
