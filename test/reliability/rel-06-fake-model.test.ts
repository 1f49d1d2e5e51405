/**
 * The fake model server's latency, slow-stream, dropped-connection and in-flight features that REL-06
 * relies on: a request counts as in flight from its arrival until the server ends or drops its reply or
 * the client leaves.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { until } from './support.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const post = (signal?: AbortSignal) =>
  fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    ...(signal ? { signal } : {}),
  });

/** The text deltas of a Chat Completions SSE body. */
const deltas = (body: string) =>
  [...body.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).filter((t) => t !== undefined);

describe('fake model server: latency, slow streams, drops, in-flight requests', () => {
  it('answers after delayMs, and counts the request in flight until its reply ended', async () => {
    server.enqueue({ type: 'reply', text: ['a', 'b'], delayMs: 100 });
    const res = post();
    await until(() => server.inFlight().length === 1, 'the request to arrive');
    const body = await (await res).text();
    expect(deltas(body)).toEqual(['a', 'b']);
    expect(server.inFlight()).toEqual([]);
  });

  it('paces a slow stream chunk by chunk and stops when the client leaves', async () => {
    server.enqueue({ type: 'reply', text: Array(100).fill('x'), chunkDelayMs: 20 });
    const ctrl = new AbortController();
    const res = await post(ctrl.signal);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"content":"x"');
    expect(server.inFlight()).toHaveLength(1);
    ctrl.abort();
    await until(() => server.inFlight().length === 0, 'the server to notice the client left');
  });

  it('a paced stream ends complete when the client reads it all', async () => {
    server.enqueue({ type: 'reply', text: ['1', '2', '3'], chunkDelayMs: 5 });
    const body = await (await post()).text();
    expect(deltas(body)).toEqual(['1', '2', '3']);
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(server.inFlight()).toEqual([]);
  });

  it('resetAfter drops the connection after the first chunks', async () => {
    server.enqueue({ type: 'reply', text: ['kept ', 'lost'], resetAfter: 1 });
    const res = await post();
    const reader = res.body!.getReader();
    let seen = '';
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          seen += new TextDecoder().decode(value);
        }
      })(),
    ).rejects.toThrow();
    expect(deltas(seen)).toEqual(['kept ']);
    expect(server.inFlight()).toEqual([]);
  });

  it('a client that leaves during the delay is no longer in flight, and gets nothing written', async () => {
    server.enqueue({ type: 'stall', delayMs: 60_000 });
    const ctrl = new AbortController();
    const res = post(ctrl.signal).catch((err: unknown) => err);
    await until(() => server.inFlight().length === 1, 'the request to arrive');
    ctrl.abort();
    expect(await res).toBeInstanceOf(Error);
    await until(() => server.inFlight().length === 0, 'the server to notice the client left');
    expect(server.requests).toHaveLength(1);
  });
});
