import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from './fake-model-server.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

function post(path: string, body: unknown, init: RequestInit = {}) {
  return fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-fake' },
    body: JSON.stringify(body),
    ...init,
  });
}

/** The value at a path inside parsed JSON (undefined when any step is missing). */
function dig(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path)
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** The `data:` payloads of an SSE body, parsed when JSON. */
function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .flatMap((block) => block.split('\n').filter((l) => l.startsWith('data: ')))
    .map((l) => l.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

describe('fake model server', () => {
  it('streams Chat Completions text, tool calls, usage and [DONE], and records the request', async () => {
    server.enqueue({
      type: 'reply',
      text: ['Hel', 'lo'],
      toolCalls: [{ id: 'c1', name: 'echo', args: { a: 1 } }],
      usage: { input: 7, output: 3, cacheRead: 2 },
    });
    const res = await post('/chat/completions', { model: 'm', stream: true, messages: [] });
    const data = sseData(await res.text());
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(data.slice(0, 2).map((d) => dig(d, 'choices', 0, 'delta', 'content'))).toEqual(['Hel', 'lo']);
    const args = data
      .flatMap((d) => (dig(d, 'choices', 0, 'delta', 'tool_calls') as unknown[] | undefined) ?? [])
      .map((t) => dig(t, 'function', 'arguments'))
      .join('');
    expect(JSON.parse(args)).toEqual({ a: 1 });
    expect(
      dig(
        data.find((d) => dig(d, 'usage')),
        'usage',
      ),
    ).toMatchObject({ prompt_tokens: 9, completion_tokens: 3 });
    expect(data.at(-1)).toBe('[DONE]');
    expect(server.requests[0]).toMatchObject({
      api: 'openai-chat',
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-fake' },
      body: { model: 'm' },
    });
  });

  it('answers non-streaming Chat Completions with one JSON body', async () => {
    server.enqueue({ type: 'reply', text: 'hi', usage: { input: 1, output: 1 } });
    const body: unknown = await (await post('/chat/completions', { model: 'm', messages: [] })).json();
    expect(dig(body, 'choices', 0, 'message', 'content')).toBe('hi');
    expect(dig(body, 'choices', 0, 'finish_reason')).toBe('stop');
  });

  it('streams Responses events and Anthropic Messages events', async () => {
    server.enqueue(
      { type: 'reply', text: 'a', toolCalls: [{ name: 't', args: '{}' }], usage: { input: 1, output: 1 } },
      { type: 'reply', text: 'b', finish: 'length', usage: { input: 1, output: 1 } },
    );
    const responses = sseData(await (await post('/responses', { model: 'm' })).text());
    expect(responses.map((e) => dig(e, 'type'))).toEqual([
      'response.created',
      'response.output_item.added',
      'response.output_text.delta',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const anthropic = sseData(await (await post('/messages', { model: 'm' })).text());
    expect(anthropic.map((e) => dig(e, 'type'))).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(dig(anthropic[4], 'delta', 'stop_reason')).toBe('max_tokens');
  });

  it('answers scripted HTTP errors with retry-after, and 500 when the queue is empty', async () => {
    server.enqueue({ type: 'error', status: 429, retryAfter: 3, message: 'slow down' });
    const limited = await post('/messages', {});
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(dig(await limited.json(), 'error')).toEqual({ type: 'rate_limit_error', message: 'slow down' });
    const empty = await post('/chat/completions', {});
    expect(empty.status).toBe(500);
    expect(await empty.text()).toContain('no scripted reply');
  });

  it('computes a reply from the request, and stalls until the client leaves', async () => {
    server.enqueue((req) => ({ type: 'reply', text: `you sent ${String(req.body.model)}` }), {
      type: 'stall',
    });
    const data = sseData(await (await post('/chat/completions', { model: 'x1', stream: true })).text());
    expect(dig(data[0], 'choices', 0, 'delta', 'content')).toBe('you sent x1');
    const ctrl = new AbortController();
    const res = await post('/chat/completions', { stream: true }, { signal: ctrl.signal });
    expect(res.status).toBe(200);
    const reading = res.text();
    ctrl.abort();
    await expect(reading).rejects.toThrow();
    expect(server.requests).toHaveLength(2);
    expect(server.pending()).toBe(0);
  });
});
