import { getEventListeners, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { createOpenAI } from '@ai-sdk/openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer } from '../../test/fakes/fake-model-server.js';
import { createHttpFetch, type HttpFetch } from './http-fetch.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: Socket;
}
interface TestServer {
  url: string;
  server: Server;
  seen: Seen[];
  close(): Promise<void>;
}

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real server on 127.0.0.1:0; the handler sees the request with its body read. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void) {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body,
      socket: req.socket,
    };
    seen.push(entry);
    handler(req, res, entry);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  cleanup.push(close);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, server, seen, close } satisfies TestServer;
}

function lean(): HttpFetch {
  const f = createHttpFetch();
  cleanup.push(() => f.close());
  return f;
}

const decode = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk);
const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('createHttpFetch: bodies and headers', () => {
  it('streams a body chunk by chunk: the first chunk is read before the server ends', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      void gate.then(() => res.end('data: two\n\n'));
    });
    const res = await lean()(`${s.url}/sse`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(decode(first.value)).toBe('data: one\n\n');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decode(r.value);
    expect(rest).toBe('data: two\n\n');
  });

  it('sends a JSON POST body and headers exactly', async () => {
    const s = await serve((_req, res) => res.end('ok'));
    const body = JSON.stringify({ model: 'm', text: 'héllo' });
    const res = await lean()(`${s.url}/v1/chat?x=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-Custom': 'a',
        skipped: undefined,
      } as unknown as Headers,
      body,
    });
    expect(await res.text()).toBe('ok');
    const [got] = s.seen;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/v1/chat?x=1');
    expect(got?.body).toBe(body);
    expect(got?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['x-custom']).toBe('a');
    expect(got?.headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(got?.headers).not.toHaveProperty('skipped');
  });

  it('accepts Headers and header pairs, and a Uint8Array body', async () => {
    const s = await serve((_req, res) => res.end());
    const f = lean();
    await f(s.url, { method: 'PUT', headers: new Headers({ 'x-a': '1' }), body: new Uint8Array([104, 105]) });
    await f(s.url, { headers: [['x-b', '2']], redirect: 'follow' });
    expect(s.seen[0]?.headers['x-a']).toBe('1');
    expect(s.seen[0]?.body).toBe('hi');
    expect(s.seen[0]?.headers['content-length']).toBe('2');
    expect(s.seen[1]?.headers['x-b']).toBe('2');
  });

  it.each([
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
    ['deflate', deflateSync],
    ['deflate', deflateRawSync], // raw deflate, as some servers send it under that name
    ['gzip, br', (b: Buffer) => brotliCompressSync(gzipSync(b))],
    ['identity, gzip', gzipSync],
    ['compress', (b: Buffer) => b], // a coding we do not know: the body as it came
  ])('decodes a %s response', async (encoding, compress) => {
    const text = 'data: compressed\n\n'.repeat(50);
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': encoding }).end(compress(Buffer.from(text)));
    });
    const res = await lean()(s.url);
    expect(res.headers.get('content-encoding')).toBe(encoding);
    expect(await res.text()).toBe(text);
  });

  it('gives a 429 with retry-after and a readable text body', async () => {
    const s = await serve((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'));
    const res = await lean()(s.url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(429);
    expect(res.ok).toBe(false);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.text()).toBe('slow down');
  });

  it('gives 204 and HEAD a null body and removes its abort listener', async () => {
    const s = await serve((req, res) => res.writeHead(req.method === 'HEAD' ? 200 : 204).end());
    const controller = new AbortController();
    const f = lean();
    const res = await f(s.url, { method: 'DELETE', signal: controller.signal });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    const head = await f(s.url, { method: 'HEAD', signal: controller.signal });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('hands a Request input and a stream body to the fallback', async () => {
    const calls: unknown[] = [];
    const f = createHttpFetch({
      fallback: async (input) => {
        calls.push(input);
        return new Response('from fallback');
      },
    });
    cleanup.push(() => f.close());
    const res = await f(new Request('http://127.0.0.1:1/x'));
    expect(await res.text()).toBe('from fallback');
    await f('http://127.0.0.1:1/y', { method: 'POST', body: new Blob(['x']) });
    await f('data:text/plain,hi');
    expect(calls).toHaveLength(3);
  });
});

describe('createHttpFetch: redirects', () => {
  async function redirecting(status: number) {
    return serve((req, res) => {
      if (req.url === '/start') res.writeHead(status, { location: '/end' }).end('moved');
      else res.end(`${req.method} ${req.url}`);
    });
  }

  it('307 keeps the POST and its body', async () => {
    const s = await redirecting(307);
    const res = await lean()(`${s.url}/start`, { method: 'POST', body: 'payload' });
    expect(await res.text()).toBe('POST /end');
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${s.url}/end`);
    expect(s.seen[1]?.body).toBe('payload');
  });

  it('303 becomes a GET without a body', async () => {
    const s = await redirecting(303);
    const res = await lean()(`${s.url}/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await res.text()).toBe('GET /end');
    expect(s.seen[1]?.body).toBe('');
    expect(s.seen[1]?.headers).not.toHaveProperty('content-type');
    expect(s.seen[1]?.headers).not.toHaveProperty('content-length');
  });

  it("'manual' returns the 3xx and 'error' rejects", async () => {
    const s = await redirecting(302);
    const f = lean();
    const res = await f(`${s.url}/start`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/end');
    expect(await res.text()).toBe('moved');
    await expect(f(`${s.url}/start`, { redirect: 'error' })).rejects.toThrow(
      expect.objectContaining({ name: 'TypeError', message: 'fetch failed' }),
    );
    expect(s.seen).toHaveLength(2);
  });
});

describe('createHttpFetch: failures and aborts', () => {
  it('rejects a refused connection with TypeError fetch failed and the cause', async () => {
    const s = await serve(() => {});
    await s.close();
    const err = await lean()(s.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError).message).toBe('fetch failed');
    expect(((err as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const s = await serve((_req, res) => res.end());
    const reason = new Error('already');
    await expect(lean()(s.url, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(s.seen).toHaveLength(0);
  });

  it('an abort before the headers rejects with the reason and closes the connection', async () => {
    const s = await serve(() => {}); // never answers
    const controller = new AbortController();
    const pending = lean()(s.url, { method: 'POST', body: 'x', signal: controller.signal });
    while (s.seen.length === 0) await new Promise((r) => setImmediate(r));
    const socket = s.seen[0]?.socket as Socket;
    const closed = once(socket, 'close');
    const reason = new Error('user stop');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await closed;
    expect(socket.destroyed).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('an abort mid-body errors the reader with the reason', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    });
    const controller = new AbortController();
    const res = await lean()(s.url, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(decode((await reader.read()).value)).toBe('data: first\n\n');
    const reason = new Error('mid-body');
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('a connection dropped mid-body errors the reader with TypeError terminated', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n', () => setImmediate(() => res.destroy()));
    });
    const controller = new AbortController();
    const res = await lean()(s.url, { signal: controller.signal });
    const err = await res.text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError).message).toBe('terminated');
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('removes its abort listener when the body ends or is cancelled', async () => {
    const s = await serve((_req, res) => res.end('done'));
    const controller = new AbortController();
    const f = lean();
    await (await f(s.url, { signal: controller.signal })).text();
    await (await f(s.url, { signal: controller.signal })).body?.cancel();
    expect(abortListeners(controller.signal)).toBe(0);
  });
});

describe('createHttpFetch: keep-alive', () => {
  it('reuses the socket for sequential requests', async () => {
    const s = await serve((_req, res) => res.end('ok'));
    const f = lean();
    expect(await (await f(s.url)).text()).toBe('ok');
    expect(await (await f(s.url)).text()).toBe('ok');
    expect(s.seen[0]?.socket).toBe(s.seen[1]?.socket);
  });

  it('closes idle sockets after keepAliveMs but never a slow response in flight', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200).write('a');
      setTimeout(() => res.end('b'), 120); // longer than keepAliveMs: the active socket must survive
    });
    const f = createHttpFetch({ keepAliveMs: 30 });
    cleanup.push(() => f.close());
    expect(await (await f(s.url)).text()).toBe('ab');
    await once(s.seen[0]?.socket as Socket, 'close'); // the idle socket is closed by the client
    expect(await (await f(s.url)).text()).toBe('ab');
    expect(s.seen[1]?.socket).not.toBe(s.seen[0]?.socket);
  });

  it('survives a server that closed the idle socket', async () => {
    const s = await serve((_req, res) => res.end('ok'));
    s.server.keepAliveTimeout = 20;
    const f = lean();
    await (await f(s.url)).text();
    await once(s.seen[0]?.socket as Socket, 'close');
    expect(await (await f(s.url)).text()).toBe('ok');
    expect(s.seen[1]?.socket).not.toBe(s.seen[0]?.socket);
  });

  it('retries once on a fresh socket when a reused one is reset before the response', async () => {
    const served = new Set<Socket>();
    const s = await serve((_req, res, seen) => {
      if (served.has(seen.socket)) return seen.socket.destroy(); // the race: a stale socket dies
      served.add(seen.socket);
      res.end('ok');
    });
    const f = lean();
    await (await f(s.url)).text();
    const res = await f(s.url, { method: 'POST', body: 'again' });
    expect(await res.text()).toBe('ok');
    expect(s.seen.map((r) => r.body)).toEqual(['', 'again', 'again']);
    expect(s.seen[2]?.socket).not.toBe(s.seen[1]?.socket);
  });

  it('does not retry a reset on a fresh socket', async () => {
    const s = await serve((_req, _res, seen) => seen.socket.destroy());
    const err = await lean()(s.url).catch((e: unknown) => e);
    expect((err as TypeError).message).toBe('fetch failed');
    expect(((err as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(s.seen).toHaveLength(1);
  });
});

describe('createHttpFetch: the AI SDK through it', () => {
  it('streams a chat completion from the fake model server', async () => {
    const server = await startFakeModelServer();
    cleanup.push(() => server.close());
    server.enqueue({ type: 'reply', text: ['Hel', 'lo'], usage: { input: 3, output: 2 } });
    const model = createOpenAI({ apiKey: 'k', baseURL: server.baseUrl, fetch: lean() }).chat('m');
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
    let text = '';
    const types: string[] = [];
    for await (const part of stream) {
      types.push(part.type);
      if (part.type === 'text-delta') text += part.delta;
    }
    expect(text).toBe('Hello');
    expect(types).toContain('finish');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer k');
    expect(server.requests[0]?.body.stream).toBe(true);
  });
});
