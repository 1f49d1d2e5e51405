import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeModels } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

async function setup(enabled = true) {
  const h = await startGateway({
    gateway: { http: { endpoints: { chatCompletions: { enabled } } } },
    models: fakeModels(fake, { contextWindow: 10_000 }),
    agents: { list: [{ id: 'main', default: true }, { id: 'writer' }], defaults: { model: 'fake/m' } },
  });
  harnesses.push(h);
  const base = `http://127.0.0.1:${h.gateway.port}`;
  const auth = { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' };
  return { h, base, auth };
}

describe('OpenAI-compatible HTTP', () => {
  it('is off until enabled', async () => {
    const { base, auth } = await setup(false);
    const res = await fetch(`${base}/v1/models`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'chatCompletions.enabled',
    );
  });

  it('refuses a missing or wrong bearer token with 401', async () => {
    const { base } = await setup();
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }] as Record<
      string,
      string
    >[]) {
      const res = await fetch(`${base}/v1/models`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { message: 'Unauthorized', type: 'unauthorized' } });
    }
  });

  it('lists agents as models', async () => {
    const { base, auth } = await setup();
    const body = (await (await fetch(`${base}/v1/models`, { headers: auth })).json()) as {
      data: { id: string }[];
    };
    expect(body.data.map((m) => m.id)).toEqual(['carapace', 'carapace/main', 'carapace/writer']);
  });

  it('answers a chat completion and keeps the conversation in the session of (agent, user)', async () => {
    const { h, base, auth } = await setup();
    fake.enqueue(
      { type: 'reply', text: 'first', usage: { input: 4, output: 1 } },
      { type: 'reply', text: 'second' },
    );
    const call = (content: string) =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ model: 'carapace/writer', user: 'u1', messages: [{ role: 'user', content }] }),
      });
    const res = await call('one');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      choices: { message: { content: string } }[];
      usage: { total_tokens: number };
    };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.content).toBe('first');
    expect(body.usage.total_tokens).toBe(5);
    await call('two');
    // The second model request carried the first exchange: the session keeps the context.
    expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain('first');
    const store = h.gateway.sessions.store('writer');
    expect((await store.list()).map((e) => e.sessionKey)).toEqual(['agent:writer:openai:dm:u1']);
  });

  it('streams as server-sent events ending in [DONE]', async () => {
    const { base, auth } = await setup();
    fake.enqueue({ type: 'reply', text: ['str', 'eam', 'ed'] });
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ model: 'carapace', stream: true, messages: [{ role: 'user', content: 'go' }] }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e.slice(6)) as {
          choices: { delta: { content?: string }; finish_reason: string | null }[];
        },
    );
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('streamed');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('explains bad requests', async () => {
    const { base, auth } = await setup();
    const cases: [unknown, string][] = [
      [{ model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] }, "unknown model 'gpt-4'"],
      [{ model: 'carapace', messages: [] }, 'non-empty array'],
      [{ model: 'carapace/nobody', messages: [{ role: 'user', content: 'x' }] }, "unknown agent 'nobody'"],
    ];
    for (const [body, message] of cases) {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(message);
    }
    const bad = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: auth,
      body: '{not json',
    });
    expect(bad.status).toBe(400);
  });
});
