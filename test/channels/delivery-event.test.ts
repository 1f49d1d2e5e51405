/**
 * A message that finally is not delivered is never silent: operator clients get the
 * `channels.delivery.failed` event over the WebSocket (a real in-process gateway, Telegram at the fake
 * Bot API), besides the log line and `channels.status`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

const CHAT = '42001';

let telegram: FakeTelegram;
let h: Harness;
let c: TestClient;

beforeAll(async () => {
  telegram = await FakeTelegram.start();
  h = await startGateway({
    channels: {
      telegram: {
        accounts: { default: { botToken: telegram.token, apiRoot: telegram.apiRoot, allowFrom: [CHAT] } },
      },
    },
  });
  c = await connectedClient(h.url, h.token);
});

afterAll(async () => {
  c?.close();
  await h?.cleanup();
  await telegram?.close();
});

const sendMessages = (text: string) =>
  telegram.calls.filter((call) => call.method === 'sendMessage' && call.payload.text === text);

describe('channels.delivery.failed', () => {
  it('is advertised in hello-ok features.events', async () => {
    const hello = c.frames.find((f) => f.type === 'res' && f.id === 'connect-1');
    const features = (hello?.payload as { features?: { events: string[] } } | undefined)?.features;
    expect(features?.events).toContain('channels.delivery.failed');
  });

  it('a send refused after a retry reaches the client as an event with the error and attempts', async () => {
    telegram.script(
      'sendMessage',
      { status: 500 },
      { status: 403, description: 'Forbidden: bot was blocked by the user' },
    );
    const res = await c.request('send', {
      channel: 'telegram',
      to: CHAT,
      message: 'This one never arrives.',
      idempotencyKey: 'k-refused',
    });
    expect(res.ok).toBe(false);
    expect(res.error?.message).toContain('403 Forbidden: bot was blocked by the user');
    const event = await c.waitFor((f) => f.event === 'channels.delivery.failed');
    expect(event.payload).toEqual({
      channel: 'telegram',
      accountId: 'default',
      to: CHAT,
      key: 'send:k-refused',
      chunk: 0,
      chunks: 1,
      state: 'failed',
      error: 'telegram sendMessage: 403 Forbidden: bot was blocked by the user',
      attempts: 2,
      ts: expect.any(Number),
    });
    expect(sendMessages('This one never arrives.')).toHaveLength(2);
  });

  it('a lost response is reported as state unknown; a delivered message raises no event', async () => {
    const before = c.events('channels.delivery.failed').length;
    const ok = await c.request('send', {
      channel: 'telegram',
      to: CHAT,
      message: 'This one arrives.',
      idempotencyKey: 'k-ok',
    });
    expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
    expect(telegram.inChat(CHAT).map((m) => m.text)).toContain('This one arrives.');

    telegram.script('sendMessage', { drop: true });
    const lost = await c.request('send', {
      channel: 'telegram',
      to: CHAT,
      message: 'Did this arrive?',
      idempotencyKey: 'k-lost',
    });
    expect(lost.ok).toBe(false);
    expect(lost.error?.message).toContain('may or may not have arrived');
    const event = await c.waitFor(
      (f) => f.event === 'channels.delivery.failed' && (f.payload as { key: string }).key === 'send:k-lost',
    );
    expect(event.payload).toMatchObject({ state: 'unknown', attempts: 1, to: CHAT, chunks: 1 });
    // Exactly one event each for the two failures: none for the message that was delivered.
    expect(c.events('channels.delivery.failed').map((f) => (f.payload as { key: string }).key)).toEqual([
      'send:k-refused',
      'send:k-lost',
    ]);
    expect(c.events('channels.delivery.failed')).toHaveLength(before + 1);
  });

  it('a long message whose first chunk is refused raises one event for the message, not one per chunk', async () => {
    const before = c.events('channels.delivery.failed').length;
    telegram.script('sendMessage', { status: 400, description: 'Bad Request: chat not found' });
    const paragraph = `${'word '.repeat(400).trim()}.`;
    const res = await c.request('send', {
      channel: 'telegram',
      to: CHAT,
      message: [paragraph, paragraph, paragraph].join('\n\n'),
      idempotencyKey: 'k-long',
    });
    expect(res.ok).toBe(false);
    const event = await c.waitFor(
      (f) => f.event === 'channels.delivery.failed' && (f.payload as { key: string }).key === 'send:k-long',
    );
    expect(event.payload).toMatchObject({ chunk: 0, chunks: 3, state: 'failed', attempts: 1 });
    expect((event.payload as { error: string }).error).toContain('chat not found');
    // The refused chunk is the only send tried; the later chunks are not sent and not reported again.
    const tried = telegram.calls.filter(
      (call) => call.method === 'sendMessage' && String(call.payload.text).startsWith('word word'),
    );
    expect(tried).toHaveLength(1);
    expect(c.events('channels.delivery.failed')).toHaveLength(before + 1);
  });
});
