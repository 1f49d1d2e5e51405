/**
 * REL-04 (SECURITY-TESTS.md), quick size, the parts not in idempotent-retries / idempotency-load:
 * - `send` (an outbound channel message) × 1,000 with one idempotency key from 10 connections: one
 *   message is visible on the (fake) Telegram, every call is answered ok, every final answer is the same.
 * - The same key with different params is refused with IDEMPOTENCY_KEY_REUSED for `agent`, `chat.send`
 *   and `send` — while the first call is in flight, after it finished, and after a restart — and the
 *   refused call has no effect (no model call, no message).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame } from '../helpers/ws-client.js';
import { lastUser, until } from './support.js';

const CHAT = '52004';
let model: FakeModelServer;
let telegram: FakeTelegram;
let h: Harness;

beforeAll(async () => {
  model = await startFakeModelServer();
  telegram = await FakeTelegram.start();
  h = await startGateway({
    ...fakeModelConfig(model, { apiKey: 'sk-rel04', contextWindow: 100_000 }),
    session: { reset: { mode: 'off' } },
    heartbeat: { every: '0m' },
    channels: {
      telegram: {
        accounts: {
          default: {
            botToken: telegram.token,
            apiRoot: telegram.apiRoot,
            dmPolicy: 'allowlist',
            allowFrom: [CHAT],
          },
        },
      },
    },
  });
  await until(() => telegram.calls.some((c) => c.method === 'getUpdates'), 'the Telegram poller');
}, 60_000);

afterAll(async () => {
  await h?.cleanup();
  await telegram?.close();
  await model?.close();
});

const reused = (f: Frame) => {
  expect(f.ok, JSON.stringify(f.payload)).toBe(false);
  expect(f.error?.code).toBe('INVALID_REQUEST');
  expect(f.error?.details?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(f.error?.message).toMatch(/already used for a .* request with different params/);
};

describe('REL-04: idempotent send, and a reused key with different params', () => {
  it('1,000 send calls with one key from 10 connections deliver one message', async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectedClient(h.url, h.token)));
    const params = { channel: 'telegram', to: CHAT, message: 'sent exactly once', idempotencyKey: 'send-1k' };
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => clients[i % 10]!.request('send', params, `s-${i}`)),
    );
    for (const r of responses) expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const finals = responses.filter((r) => (r.payload as { messageId?: string }).messageId !== undefined);
    const waiting = responses.filter((r) => (r.payload as { status?: string }).status === 'in_flight');
    expect(finals.length + waiting.length).toBe(1000);
    expect(finals.length).toBeGreaterThan(0);
    expect(new Set(finals.map((r) => JSON.stringify(r.payload))).size).toBe(1);
    const final = finals[0]!.payload as Record<string, unknown>;
    expect(final).toMatchObject({ runId: 'send-1k', channel: 'telegram', to: CHAT });
    // Once it is done, every retry gets that same answer.
    const later = await Promise.all(
      Array.from({ length: 20 }, (_, i) => clients[i % 10]!.request('send', params, `again-${i}`)),
    );
    for (const r of later) expect(r.payload).toEqual(final);
    expect(telegram.inChat(CHAT).filter((m) => m.text.includes('sent exactly once'))).toHaveLength(1);
    expect(telegram.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    for (const c of clients) c.close();
  }, 120_000);

  it('refuses a reused key with different params for agent, chat.send and send, with no effect', async () => {
    const c = await connectedClient(h.url, h.token);
    const modelCalls = () => model.requests.length;

    // agent: refused while the run is in flight (the model holds its answer) and after it ended.
    model.enqueue({ type: 'stall' });
    const agentParams = { message: 'agent original', sessionKey: 'main', idempotencyKey: 'k-agent' };
    const agentId = 'agent-first';
    c.send({ type: 'req', id: agentId, method: 'agent', params: agentParams });
    await c.waitFor((f) => f.id === agentId && (f.payload as { status?: string })?.status === 'accepted');
    reused(await c.request('agent', { ...agentParams, message: 'agent changed' }));
    reused(await c.request('agent', { ...agentParams, sessionKey: 'agent:main:other' }));
    await until(() => model.requests.length === 1, 'the model call of the agent run');
    reused(await c.request('agent', { ...agentParams, message: 'agent changed' }));
    expect((await c.request('chat.abort', { sessionKey: 'main' })).ok).toBe(true);
    const agentFinal = await c.waitFor(
      (f) =>
        f.id === agentId && f.type === 'res' && (f.payload as { status?: string })?.status !== 'accepted',
      20_000,
    );
    expect(agentFinal.ok).toBe(true);
    reused(await c.request('agent', { ...agentParams, message: 'agent changed' }));
    expect((await c.request('agent', agentParams)).payload).toEqual(agentFinal.payload);

    // chat.send: refused while the run is in flight and after it finished.
    model.enqueue({ type: 'reply', text: 'chat answer' });
    const chatParams = { message: 'chat original', sessionKey: 'main', idempotencyKey: 'k-chat' };
    const started = await c.request('chat.send', chatParams);
    expect(started.payload).toMatchObject({ runId: 'k-chat', status: 'started' });
    reused(await c.request('chat.send', { ...chatParams, message: 'chat changed' }));
    c.send({
      type: 'req',
      id: 'wait-chat',
      method: 'agent.wait',
      params: { runId: 'k-chat', timeoutMs: 20_000 },
    });
    const waited = await c.waitFor((f) => f.id === 'wait-chat', 25_000);
    expect(waited.payload).toMatchObject({ runId: 'k-chat', status: 'ok' });
    reused(await c.request('chat.send', { ...chatParams, message: 'chat changed' }));
    reused(await c.request('chat.send', { ...chatParams, queueMode: 'followup' }));

    // send: refused after it finished (a different text, and a different recipient).
    const sendParams = { channel: 'telegram', to: CHAT, message: 'send original', idempotencyKey: 'k-send' };
    const sent = await c.request('send', sendParams);
    expect(sent.ok, JSON.stringify(sent.error)).toBe(true);
    reused(await c.request('send', { ...sendParams, message: 'send changed' }));
    reused(await c.request('send', { ...sendParams, to: '52005' }));
    expect((await c.request('send', sendParams)).payload).toEqual(sent.payload);
    c.close();

    // After a restart the records still refuse the changed params (and answer the original ones).
    await h.restart();
    await until(() => telegram.calls.filter((x) => x.method === 'getMe').length >= 2, 'the poller again');
    const after = await connectedClient(h.url, h.token);
    reused(await after.request('agent', { ...agentParams, message: 'agent changed' }));
    reused(await after.request('chat.send', { ...chatParams, message: 'chat changed' }));
    reused(await after.request('send', { ...sendParams, message: 'send changed' }));
    expect((await after.request('send', sendParams)).payload).toEqual(sent.payload);
    expect((await after.request('agent', agentParams)).payload).toEqual(agentFinal.payload);
    after.close();

    // No effect from any refused call: one model call per run, one message per send, no changed text.
    expect(modelCalls()).toBe(2);
    expect(model.requests.map(lastUser)).toEqual(['agent original', 'chat original']);
    expect(telegram.visible.filter((m) => m.text.includes('send original'))).toHaveLength(1);
    expect(telegram.visible.filter((m) => /changed/.test(m.text))).toEqual([]);
    expect(telegram.inChat('52005')).toEqual([]);
  }, 120_000);
});
