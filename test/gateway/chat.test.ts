import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeApi, type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

function modelConfig(api: FakeApi = 'openai-chat') {
  return fakeModelConfig(fake, {
    api,
    apiKey: 'sk-test-canary-123456',
    modelIds: ['m1'],
    contextWindow: 100_000,
    maxTokens: 1000,
    cost: { input: 1, output: 2 },
    retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 100 },
  });
}

async function setup(config: Record<string, unknown> = modelConfig()) {
  const h = await startGateway(config);
  harnesses.push(h);
  const c = await connectedClient(h.url, h.token);
  return { h, c };
}

function chatEvents(c: TestClient, runId: string): Frame[] {
  return c.events('chat').filter((f) => (f.payload as { runId: string }).runId === runId);
}
function waitChatEnd(c: TestClient, runId: string) {
  return c.waitFor((f) => {
    const p = f.payload as { runId?: string; state?: string } | undefined;
    return f.event === 'chat' && p?.runId === runId && p.state !== 'delta';
  }, 10_000);
}

describe('agent and chat.send without a model', () => {
  it('accept, then end in a clear error that says how to configure a model', async () => {
    const { c } = await setup({});
    const ack = c.waitFor((f) => f.id === 'a1');
    c.send({
      type: 'req',
      id: 'a1',
      method: 'agent',
      params: { message: 'hi', idempotencyKey: 'run-nomodel' },
    });
    expect((await ack).payload).toMatchObject({
      runId: 'run-nomodel',
      status: 'accepted',
      agentId: 'main',
      sessionKey: 'agent:main:main',
    });
    const final = await c.waitFor(
      (f) => f.id === 'a1' && (f.payload as { status: string }).status !== 'accepted',
    );
    expect(final.payload).toMatchObject({ runId: 'run-nomodel', status: 'error' });
    expect((final.payload as { summary: string }).summary).toContain('no model is configured');
    expect((final.payload as { summary: string }).summary).toContain('carapace.json');
    const end = await waitChatEnd(c, 'run-nomodel');
    expect(end.payload).toMatchObject({ state: 'error' });
    const history = (await c.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: { role: string }[];
    };
    expect(history.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });
});

describe('agent with a model', () => {
  it('streams deltas, answers the same request twice (ack, final), records the turn with usage and cost', async () => {
    const { c } = await setup();
    fake.enqueue({ type: 'reply', text: ['Hel', 'lo ', 'there'], usage: { input: 100, output: 20 } });
    const ack = c.waitFor((f) => f.id === 'a1');
    c.send({
      type: 'req',
      id: 'a1',
      method: 'agent',
      params: { message: 'say hello', idempotencyKey: 'run-1' },
    });
    expect((await ack).payload).toMatchObject({ status: 'accepted', runId: 'run-1' });
    const final = await c.waitFor(
      (f) => f.id === 'a1' && (f.payload as { status: string }).status !== 'accepted',
    );
    expect(final.payload).toMatchObject({
      runId: 'run-1',
      status: 'ok',
      summary: 'completed',
      result: {
        payloads: [{ text: 'Hello there' }],
        meta: { agentMeta: { provider: 'fake', usage: { input: 100, output: 20 } } },
      },
    });
    const cost = (final.payload as { result: { meta: { agentMeta: { cost: { total: number } } } } }).result
      .meta.agentMeta.cost;
    expect(cost.total).toBeCloseTo((100 * 1 + 20 * 2) / 1e6, 12);

    const agentEvents = c
      .events('agent')
      .map((f) => f.payload as { runId: string; seq: number; stream: string; data: { phase?: string } });
    const mine = agentEvents.filter((e) => e.runId === 'run-1');
    expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i + 1));
    expect(mine[0]?.data.phase).toBe('start');
    expect(mine.at(-1)).toMatchObject({ stream: 'lifecycle', data: { phase: 'end' } });
    expect(mine.filter((e) => e.stream === 'assistant').length).toBe(3);
    const chat = chatEvents(c, 'run-1');
    expect(chat.map((f) => (f.payload as { state: string }).state)).toEqual([
      'delta',
      'delta',
      'delta',
      'final',
    ]);

    const history = (await c.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: { role: string; content: string; usage?: { input: number } }[];
    };
    expect(history.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'say hello'],
      ['assistant', 'Hello there'],
    ]);
    expect(history.messages[1]?.usage?.input).toBe(100);
    const list = (await c.request('sessions.list')).payload as { sessions: { totalTokens: number }[] };
    expect(list.sessions[0]?.totalTokens).toBe(120);

    // The request that went to the model carried the key and the conversation.
    const req = fake.requests.at(-1);
    expect(req?.headers.authorization).toBe('Bearer sk-test-canary-123456');
    expect(JSON.stringify(req?.body)).toContain('say hello');
    // The key never reached a client.
    expect(JSON.stringify(c.frames)).not.toContain('sk-test-canary-123456');
  });

  it('a repeated idempotency key never starts a second run', async () => {
    const { c } = await setup();
    fake.enqueue({ type: 'reply', text: 'only once', usage: { input: 5, output: 2 } });
    const before = fake.requests.length;
    const params = { message: 'once', idempotencyKey: 'run-dup' };
    c.send({ type: 'req', id: 'x1', method: 'agent', params });
    c.send({ type: 'req', id: 'x2', method: 'agent', params });
    const second = await c.waitFor((f) => f.id === 'x2');
    expect(second.payload).toMatchObject({ runId: 'run-dup', status: 'in_flight' });
    const first = await c.waitFor((f) => f.id === 'x1' && (f.payload as { status: string }).status === 'ok');
    const again = await c.request('agent', params);
    expect(again.payload).toEqual(first.payload);
    expect(fake.requests.length - before).toBe(1);
    const mismatch = await c.request('agent', { ...params, message: 'different' });
    expect(mismatch.error?.details?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('chat.send', () => {
  it('acks with started, streams chat events, and keeps per-session order', async () => {
    const { c } = await setup();
    fake.enqueue({ type: 'reply', text: 'first answer' }, { type: 'reply', text: 'second answer' });
    const r1 = await c.request('chat.send', { sessionKey: 'main', message: 'one', idempotencyKey: 'c-1' });
    const r2 = await c.request('chat.send', { sessionKey: 'main', message: 'two', idempotencyKey: 'c-2' });
    expect(r1.payload).toMatchObject({ runId: 'c-1', status: 'started' });
    expect(r2.payload).toMatchObject({ runId: 'c-2', status: 'started' });
    await waitChatEnd(c, 'c-2');
    const history = (await c.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: { content: string }[];
    };
    expect(history.messages.map((m) => m.content)).toEqual(['one', 'first answer', 'two', 'second answer']);
    const wait = await c.request('agent.wait', { runId: 'c-2', timeoutMs: 1000 });
    expect(wait.payload).toMatchObject({ runId: 'c-2', status: 'ok' });
  });

  it('chat.abort stops a streaming reply; the partial is recorded as aborted', async () => {
    const { c } = await setup();
    fake.enqueue({ type: 'reply', text: ['partial ', 'never'], stallAfter: 1 });
    await c.request('chat.send', { sessionKey: 'main', message: 'go', idempotencyKey: 'c-abort' });
    await c.waitFor((f) => f.event === 'chat' && (f.payload as { state: string }).state === 'delta');
    const res = await c.request('chat.abort', { sessionKey: 'main' });
    expect(res.payload).toMatchObject({ ok: true, aborted: true });
    const end = await waitChatEnd(c, 'c-abort');
    expect(end.payload).toMatchObject({ state: 'aborted' });
    const history = (await c.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: { role: string; content: string; stopReason?: string }[];
    };
    expect(history.messages.at(-1)).toMatchObject({
      role: 'assistant',
      content: 'partial ',
      stopReason: 'aborted',
    });
  });

  it('chat.abort during a tool: the turn is closed by an aborted assistant record; the next turn works', async () => {
    const { c } = await setup({
      ...modelConfig(),
      tools: { exec: { security: 'full', ask: 'off', yieldMs: 60_000 }, sandbox: { mode: 'off' } },
    });
    fake.enqueue({
      type: 'reply',
      text: 'Sleeping.',
      toolCalls: [{ id: 'call-sleep', name: 'exec', args: { command: 'sleep 30' } }],
    });
    await c.request('agent', { message: 'sleep please', idempotencyKey: 'a-tool-abort' });
    await c.waitFor((f) => {
      const p = f.payload as { runId?: string; stream?: string; data?: { phase?: string } } | undefined;
      return (
        f.event === 'agent' && p?.runId === 'a-tool-abort' && p.stream === 'tool' && p.data?.phase === 'start'
      );
    }, 10_000);
    const res = await c.request('chat.abort', { sessionKey: 'main' });
    expect(res.payload).toMatchObject({ ok: true, aborted: true });
    const end = await waitChatEnd(c, 'a-tool-abort');
    expect(end.payload).toMatchObject({ state: 'aborted', stopReason: 'aborted' });
    const history = (await c.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: { role: string; content: string; stopReason?: string; toolCalls?: unknown[] }[];
    };
    expect(history.messages.map((m) => [m.role, m.stopReason])).toEqual([
      ['user', undefined],
      ['assistant', 'toolUse'],
      ['tool', undefined],
      ['assistant', 'aborted'],
    ]);
    expect(history.messages.at(-1)).toMatchObject({ content: '' });
    expect(history.messages.at(-1)).not.toHaveProperty('toolCalls');

    const before = fake.requests.length;
    fake.enqueue({ type: 'reply', text: 'awake again' });
    await c.request('agent', { message: 'wake up', idempotencyKey: 'a-after-abort' });
    const done = await c.waitFor((f) => {
      const p = f.payload as { runId?: string; status?: string } | undefined;
      return f.type === 'res' && p?.runId === 'a-after-abort' && p.status !== 'accepted';
    }, 10_000);
    expect(done.payload).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'awake again' }] } });
    expect(fake.requests.length).toBe(before + 1);
    // What the model got: one well-formed conversation, the empty closing record left out.
    const sent = (fake.requests.at(-1)?.body.messages ?? []) as {
      role: string;
      content: unknown;
      tool_calls?: { id: string }[];
      tool_call_id?: string;
    }[];
    const turns = sent.filter((m) => m.role !== 'system' && m.role !== 'developer');
    expect(turns.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    expect(turns[1]?.tool_calls?.map((t) => t.id)).toEqual(['call-sleep']);
    expect(turns[2]?.tool_call_id).toBe('call-sleep');
    expect(turns[3]?.content).toBe('wake up');
  });

  it('/new starts a fresh session without calling the model', async () => {
    const { c } = await setup();
    const before = fake.requests.length;
    await c.request('chat.inject', { sessionKey: 'main', message: 'old context' });
    const old = (await c.request('chat.history', { sessionKey: 'main' })).payload as { sessionId: string };
    await c.request('chat.send', { sessionKey: 'main', message: '/new', idempotencyKey: 'c-new' });
    await waitChatEnd(c, 'c-new');
    const now = (await c.request('chat.history', { sessionKey: 'main' })).payload as {
      sessionId: string;
      messages: { content: string }[];
    };
    expect(now.sessionId).not.toBe(old.sessionId);
    expect(now.messages.map((m) => m.content)).toEqual(['/new', 'Started a new session.']);
    expect(fake.requests.length).toBe(before);
  });
});

describe('each wire format end to end over the WebSocket', () => {
  for (const api of ['openai-chat', 'openai-responses', 'anthropic'] as const) {
    it(api, async () => {
      const { c } = await setup(modelConfig(api));
      fake.enqueue({ type: 'reply', text: [`via `, api], usage: { input: 7, output: 3 } });
      const final = await c.request('agent', { message: `hello ${api}`, idempotencyKey: `w-${api}` });
      expect(final.payload).toMatchObject({ status: 'accepted' });
      const done = await c.waitFor(
        (f) => f.type === 'res' && (f.payload as { status: string }).status === 'ok',
      );
      expect(done.payload).toMatchObject({ result: { payloads: [{ text: `via ${api}` }] } });
      expect(fake.requests.at(-1)?.api).toBe(api);
    });
  }
});
