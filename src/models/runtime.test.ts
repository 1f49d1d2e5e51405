import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from '../../test/fakes/fake-model-server.js';
import { type ModelsConfig, validateConfig } from '../config/index.js';
import { createModelRuntime, type ModelRuntimeOptions } from './runtime.js';
import type { ModelEvent, ModelStreamRequest } from './types.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const entry = (id: string) => ({
  id,
  contextWindow: 10_000,
  maxTokens: 321,
  cost: { input: 2, output: 8, cacheRead: 0.5 },
});

function models(providers: Record<string, unknown>, retry: Record<string, number> = {}): ModelsConfig {
  const r = validateConfig({ models: { providers, retry: { baseDelayMs: 100, ...retry } } });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config.models;
}

function runtime(m: ModelsConfig, extra: Partial<ModelRuntimeOptions> = {}) {
  const delays: number[] = [];
  const rt = createModelRuntime({
    models: m,
    env: {},
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { rt, delays };
}

async function collect(stream: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const out: ModelEvent[] = [];
  for await (const ev of stream) out.push(ev);
  return out;
}

const ask = (model: string, more: Partial<ModelStreamRequest> = {}): ModelStreamRequest => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...more,
});

const text = (events: ModelEvent[]) =>
  events.flatMap((e) => (e.type === 'text-delta' ? [e.delta] : [])).join('');

describe('model runtime: wire formats', () => {
  const apis = [
    ['openai-chat', 'authorization', 'Bearer sk-one', 'max_tokens'],
    ['openai-responses', 'authorization', 'Bearer sk-one', 'max_output_tokens'],
    ['anthropic', 'x-api-key', 'sk-one', 'max_tokens'],
    ['openai-compatible', 'authorization', 'Bearer sk-one', 'max_tokens'],
  ] as const;

  for (const [api, header, value, maxField] of apis) {
    it(`streams text, usage and cost over ${api}`, async () => {
      const { rt } = runtime(
        models({ p: { api, baseUrl: server.baseUrl, apiKey: 'sk-one', models: [entry('m1')] } }),
      );
      server.enqueue({
        type: 'reply',
        text: ['Hel', 'lo'],
        usage: { input: 1000, output: 500, cacheRead: 2000 },
      });
      const events = await collect(rt.stream(ask('p/m1', { system: 'be brief' })));
      expect(events[0]).toMatchObject({
        type: 'start',
        ref: 'p/m1',
        provider: 'p',
        model: 'm1',
        profile: 'p:apiKey',
      });
      expect(text(events)).toBe('Hello');
      expect(events.at(-2)).toEqual({
        type: 'usage',
        usage: { input: 1000, output: 500, cacheRead: 2000, cacheWrite: 0 },
        cost: { input: 0.002, output: 0.004, cacheRead: 0.001, cacheWrite: 0, total: 0.007 },
      });
      expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
      const req = server.requests[0]!;
      expect(req.headers[header]).toBe(value);
      expect(req.body.model).toBe('m1');
      expect(req.body[maxField]).toBe(321);
      expect(JSON.stringify(req.body)).toContain('be brief');
    });
  }

  it('reports tool calls with their raw JSON arguments and sends the tools', async () => {
    const { rt } = runtime(
      models({ p: { api: 'anthropic', baseUrl: server.baseUrl, apiKey: 'k-1234', models: [entry('m')] } }),
    );
    server.enqueue({ type: 'reply', toolCalls: [{ id: 'tu1', name: 'read', args: { path: 'a.txt' } }] });
    const tools = [
      { name: 'read', description: 'Read a file', jsonSchema: { type: 'object', properties: {} } },
    ];
    const events = await collect(rt.stream(ask('p/m', { tools })));
    expect(events.find((e) => e.type === 'tool-call')).toEqual({
      type: 'tool-call',
      id: 'tu1',
      name: 'read',
      args: '{"path":"a.txt"}',
    });
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool-calls' });
    expect(server.requests[0]!.body.tools).toMatchObject([{ name: 'read', description: 'Read a file' }]);
  });
});

describe('model runtime: retries and failover', () => {
  it('retries a 429 after exactly the retry-after the server asked for', async () => {
    const { rt, delays } = runtime(
      models({ p: { api: 'openai-chat', baseUrl: server.baseUrl, apiKey: 'sk-1', models: [entry('m')] } }),
    );
    server.enqueue({ type: 'error', status: 429, retryAfter: 2 }, { type: 'reply', text: 'ok' });
    const events = await collect(rt.stream(ask('p/m')));
    expect(delays).toEqual([2000]);
    expect(events[0]).toMatchObject({
      type: 'retry',
      next: 'same',
      delayMs: 2000,
      error: { kind: 'rate_limit', status: 429 },
    });
    expect(text(events)).toBe('ok');
    expect(server.requests).toHaveLength(2);
  });

  it('backs off exponentially on 5xx, then falls back to the next model', async () => {
    const { rt, delays } = runtime(
      models(
        {
          a: { api: 'openai-chat', baseUrl: server.baseUrl, apiKey: 'sk-a', models: [entry('m')] },
          b: { api: 'anthropic', baseUrl: server.baseUrl, apiKey: 'sk-b', models: [entry('n')] },
        },
        { maxRetries: 2 },
      ),
    );
    server.enqueue(
      { type: 'error', status: 500 },
      { type: 'error', status: 503 },
      { type: 'error', status: 502 },
      { type: 'reply', text: 'from b' },
    );
    const events = await collect(rt.stream(ask('a/m', { fallbacks: ['b/n'] })));
    expect(delays).toEqual([100, 200]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.next : ''))).toEqual([
      'same',
      'same',
      'model',
    ]);
    expect(events.find((e) => e.type === 'start')).toMatchObject({ ref: 'b/n', provider: 'b' });
    expect(text(events)).toBe('from b');
    expect(server.requests.map((r) => r.api)).toEqual([
      'openai-chat',
      'openai-chat',
      'openai-chat',
      'anthropic',
    ]);
  });

  it('fails over to the second key after a 401 and keeps the first resting on the next call', async () => {
    const { rt } = runtime(
      models({
        p: {
          api: 'openai-responses',
          baseUrl: server.baseUrl,
          apiKey: 'sk-first',
          apiKeys: ['sk-second'],
          models: [entry('m')],
        },
      }),
    );
    server.enqueue(
      { type: 'error', status: 401, message: 'invalid key' },
      { type: 'reply', text: 'one' },
      { type: 'reply', text: 'two' },
    );
    const first = await collect(rt.stream(ask('p/m')));
    expect(first[0]).toMatchObject({
      type: 'retry',
      next: 'key',
      profile: 'p:apiKey',
      error: { kind: 'auth' },
    });
    expect(first.find((e) => e.type === 'start')).toMatchObject({ profile: 'p:apiKeys[0]' });
    expect(text(await collect(rt.stream(ask('p/m'))))).toBe('two');
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer sk-first',
      'Bearer sk-second',
      'Bearer sk-second',
    ]);
    expect(rt.cooldowns()).toMatchObject([{ profile: 'p:apiKey', reason: 'auth' }]);
  });

  it('rests every rate-limited key, then fails over to a fallback provider', async () => {
    const { rt } = runtime(
      models(
        {
          oa: {
            api: 'openai-chat',
            baseUrl: server.baseUrl,
            apiKey: 'sk-k1',
            apiKeys: ['sk-k2'],
            models: [entry('m')],
          },
          an: { api: 'anthropic', baseUrl: server.baseUrl, apiKey: 'sk-ant', models: [entry('c')] },
        },
        { maxRetries: 0 },
      ),
    );
    server.enqueue(
      { type: 'error', status: 429 },
      { type: 'error', status: 429, retryAfter: 120 },
      { type: 'reply', text: 'claude here' },
    );
    const events = await collect(rt.stream(ask('oa/m', { fallbacks: ['an/c'] })));
    expect(events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.next : ''))).toEqual([
      'key',
      'model',
    ]);
    expect(text(events)).toBe('claude here');
    expect(server.requests.map((r) => r.headers.authorization ?? r.headers['x-api-key'])).toEqual([
      'Bearer sk-k1',
      'Bearer sk-k2',
      'sk-ant',
    ]);
    expect(
      rt
        .cooldowns()
        .map((c) => c.profile)
        .sort(),
    ).toEqual(['oa:apiKey', 'oa:apiKeys[0]']);
  });

  it('does not wait for a retry-after longer than maxDelayMs', async () => {
    const { rt, delays } = runtime(
      models(
        {
          p: {
            api: 'openai-chat',
            baseUrl: server.baseUrl,
            apiKey: 'sk-1',
            apiKeys: ['sk-2'],
            models: [entry('m')],
          },
        },
        { maxDelayMs: 1000 },
      ),
    );
    server.enqueue({ type: 'error', status: 429, retryAfter: 60 }, { type: 'reply', text: 'ok' });
    const events = await collect(rt.stream(ask('p/m')));
    expect(delays).toEqual([]);
    expect(text(events)).toBe('ok');
    expect(server.requests[1]!.headers.authorization).toBe('Bearer sk-2');
  });

  it('ends at once on a context overflow (no fallback) and on abort (partial text kept by the listener)', async () => {
    const { rt } = runtime(
      models({
        a: { api: 'openai-chat', baseUrl: server.baseUrl, apiKey: 'sk-1', models: [entry('m')] },
        b: { api: 'openai-chat', baseUrl: server.baseUrl, apiKey: 'sk-1', models: [entry('n')] },
      }),
    );
    server.enqueue({
      type: 'error',
      status: 400,
      message: "This model's maximum context length is 10000 tokens",
    });
    const overflow = await collect(rt.stream(ask('a/m', { fallbacks: ['b/n'] })));
    expect(overflow).toMatchObject([
      { type: 'error', error: { kind: 'context_overflow', ref: 'a/m', status: 400 } },
    ]);
    expect(server.requests).toHaveLength(1);

    server.enqueue({ type: 'reply', text: ['par', 'tial', 'never'], stallAfter: 2 });
    const ctrl = new AbortController();
    const events: ModelEvent[] = [];
    for await (const ev of rt.stream(ask('a/m', { signal: ctrl.signal, fallbacks: ['b/n'] }))) {
      events.push(ev);
      if (text(events) === 'partial') ctrl.abort();
    }
    expect(text(events)).toBe('partial');
    expect(events.at(-1)).toEqual({
      type: 'error',
      error: { kind: 'aborted', message: 'aborted', retryable: false, ref: 'a/m' },
    });
    expect(server.requests).toHaveLength(2);
  });

  it('skips an unknown ref to a configured fallback, and explains when no key can be found', async () => {
    const { rt } = runtime(
      models({
        ok: { api: 'openai-chat', baseUrl: server.baseUrl, apiKey: 'sk-1', models: [entry('m')] },
        nokey: {
          api: 'openai-chat',
          baseUrl: server.baseUrl,
          apiKey: { source: 'env', id: 'NOKEY_API_KEY' },
          models: [entry('m')],
        },
      }),
    );
    server.enqueue({ type: 'reply', text: 'fine' });
    expect(text(await collect(rt.stream(ask('gone/x', { fallbacks: ['ok/m'] }))))).toBe('fine');
    const unknown = await collect(rt.stream(ask('gone/x')));
    expect(unknown).toMatchObject([{ type: 'error', error: { kind: 'not_configured' } }]);
    expect(unknown[0]?.type === 'error' && unknown[0].error.message).toContain('ok/m, nokey/m');
    const noKey = await collect(rt.stream(ask('nokey/m')));
    expect(noKey[0]?.type === 'error' && noKey[0].error).toMatchObject({ kind: 'auth' });
    expect(noKey[0]?.type === 'error' && noKey[0].error.message).toContain('NOKEY_API_KEY is not set');
    expect(server.requests).toHaveLength(1);
  });
});

describe('model runtime: secrets', () => {
  it('never lets an API key into events or errors, even when the provider echoes it', async () => {
    const key = 'sk-canary-0123456789abcdef';
    const { rt } = runtime(
      models(
        { p: { api: 'openai-chat', baseUrl: server.baseUrl, apiKey: key, models: [entry('m')] } },
        { maxRetries: 1 },
      ),
    );
    server.enqueue(
      { type: 'error', status: 500, message: `upstream rejected ${key}` },
      {
        type: 'error',
        status: 401,
        message: `Incorrect API key provided: ${key.slice(0, 6)}***cdef; raw ${key}`,
      },
    );
    const events = await collect(rt.stream(ask('p/m')));
    const wire = JSON.stringify(events);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { kind: 'auth', status: 401 } });
    expect(wire).toContain('[REDACTED]');
    expect(wire).not.toContain(key);
    expect(wire).not.toContain('canary');
    expect(rt.knownSecrets()).toContain(key);
  });
});
