import http from 'node:http';
import https from 'node:https';
import { type Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { FetchPort } from './language-model.js';

/** Options of {@link createHttpFetch}. */
export interface HttpFetchOptions {
  /** Idle keep-alive sockets are closed after this many ms (default 4000, below Node servers' 5 s). */
  keepAliveMs?: number;
  /** Handles what this fetch does not (Request inputs, stream/form bodies, other schemes); global fetch. */
  fallback?: FetchPort;
}

/** A `fetch` on `node:http`/`node:https` with its own keep-alive agents; `close()` destroys their sockets. */
export type HttpFetch = FetchPort & { close(): void };

type Headers0 = Record<string, string>;
interface Hop {
  url: URL;
  method: string;
  headers: Headers0;
  body: string | Uint8Array | undefined;
}
interface Watch {
  onAbort: ((reason: unknown) => void) | undefined;
  done(): void;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
const BODY_HEADERS = ['content-length', 'content-type', 'content-encoding', 'content-language'];
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host'];
const noop = () => {};
const failed = (cause: unknown) => new TypeError('fetch failed', { cause });

/**
 * A lean `fetch` for the AI SDK: plain `node:http` requests over one keep-alive agent per scheme (about a
 * third of undici's CPU per request). Bodies stream with backpressure and are decoded (gzip, deflate, br);
 * redirects, aborts and network errors behave like fetch (`TypeError('fetch failed', { cause })`). A
 * request that fails on a reused idle socket before any response is retried once on a fresh one.
 */
export function createHttpFetch(options: HttpFetchOptions = {}): HttpFetch {
  const timeout = options.keepAliveMs ?? 4000;
  const fallback = options.fallback ?? globalThis.fetch;
  const httpAgent = new http.Agent({ keepAlive: true, timeout });
  const httpsAgent = new https.Agent({ keepAlive: true, timeout });

  function send(hop: Hop, watch: Watch, signal: AbortSignal | undefined, retried = false) {
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const secure = hop.url.protocol === 'https:';
      const host = hop.url.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = hop.url.port || (secure ? 443 : 80);
      const agent = secure ? httpsAgent : httpAgent;
      const { method, headers } = hop;
      const path = hop.url.pathname + hop.url.search;
      const req = (secure ? https : http).request({ agent, host, port, path, method, headers });
      let responded = false;
      req.on('response', (res) => {
        responded = true;
        watch.onAbort = undefined;
        resolve(res);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (responded || signal?.aborted) return;
        if (!retried && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          dropIdle(agent, `${host}:${port}:`);
          send(hop, watch, signal, true).then(resolve, reject);
        } else reject(failed(err));
      });
      watch.onAbort = (reason) => {
        req.destroy();
        reject(reason);
      };
      req.end(hop.body);
    });
  }

  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let hop = prepare(input, init);
    if (!hop) return fallback(input, init);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const mode = init.redirect ?? 'follow';
    const watch = watchSignal(signal);
    try {
      for (let hops = 0; ; hops++) {
        const res = await send(hop, watch, signal);
        if (signal?.aborted) {
          res.destroy();
          throw signal.reason;
        }
        const location = REDIRECTS.has(res.statusCode ?? 0) ? res.headers.location : undefined;
        if (location === undefined || mode === 'manual') return respond(res, hop, watch, hops > 0);
        res.on('error', noop).resume();
        if (mode === 'error') throw failed(new Error('unexpected redirect'));
        if (hops >= MAX_REDIRECTS) throw failed(new Error('redirect count exceeded'));
        hop = nextHop(hop, res.statusCode ?? 0, location);
      }
    } catch (err) {
      watch.done();
      throw err;
    }
  };
  const close = () => {
    httpAgent.destroy();
    httpsAgent.destroy();
  };
  return Object.assign(fetchImpl, { close }) as HttpFetch;
}

/** The first hop, or undefined when the call is one for the fallback. */
function prepare(input: string | URL | Request, init: RequestInit): Hop | undefined {
  if (typeof input !== 'string' && !(input instanceof URL)) return undefined;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    return undefined;
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) return undefined;
  const method = (init.method ?? 'GET').toUpperCase();
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) return undefined;
  const headers = toHeaders(init.headers);
  if (!headers) return undefined;
  headers['accept-encoding'] ??= 'gzip, deflate, br';
  if (body !== undefined) {
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    if (typeof body === 'string') headers['content-type'] ??= 'text/plain;charset=UTF-8';
  }
  return { url, method, headers, body };
}

function toHeaders(init: RequestInit['headers']): Headers0 | undefined {
  const out: Headers0 = Object.create(null);
  const add = (name: string, value: unknown) => {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? String(value) : `${out[key]}, ${String(value)}`;
  };
  if (init == null) return out;
  if (init instanceof Headers || Array.isArray(init))
    for (const [name, value] of init as Iterable<[string, string]>) add(name, value);
  else if ([Object.prototype, null].includes(Object.getPrototypeOf(init))) {
    const record = init as Record<string, unknown>;
    for (const name in record) if (record[name] !== undefined) add(name, record[name]);
  } else return undefined;
  return out;
}

function nextHop(hop: Hop, status: number, location: string): Hop {
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch (cause) {
    throw failed(cause);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw failed(new Error(`redirect to ${url.protocol}`));
  const headers: Headers0 = Object.assign(Object.create(null), hop.headers);
  let { method, body } = hop;
  if ((status === 303 && method !== 'GET' && method !== 'HEAD') || (status <= 302 && method === 'POST')) {
    method = 'GET';
    body = undefined;
    for (const name of BODY_HEADERS) delete headers[name];
  }
  if (url.origin !== hop.url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  return { url, method, headers, body };
}

function respond(res: http.IncomingMessage, hop: Hop, watch: Watch, redirected: boolean): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  const init = { status, statusText: res.statusMessage ?? '', headers };
  let response: Response;
  if (NULL_BODY.has(status) || hop.method === 'HEAD') {
    res.on('error', noop).resume();
    watch.done();
    response = new Response(null, init);
  } else response = new Response(bodyStream(res, watch), init);
  Object.defineProperty(response, 'url', { value: hop.url.href });
  if (redirected) Object.defineProperty(response, 'redirected', { value: true });
  return response;
}

function bodyStream(res: http.IncomingMessage, watch: Watch): ReadableStream<Uint8Array> {
  const decoders = decodersFor(res.headers['content-encoding']);
  const source: Readable = decoders.reduce<Readable>((from, decoder) => from.pipe(decoder), res);
  let finished = false;
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const destroy = () => {
    res.destroy();
    for (const decoder of decoders) decoder.destroy();
  };
  const finish = (fn: () => void) => {
    if (finished) return;
    finished = true;
    watch.done();
    fn();
  };
  const stop = (error: unknown) =>
    finish(() => {
      ctl.error(error);
      destroy();
    });
  const fail = (cause: unknown) => stop(new TypeError('terminated', { cause }));
  res.on('error', fail);
  for (const decoder of decoders) decoder.on('error', fail);
  source.on('data', (chunk: Buffer) => {
    if (finished) return;
    ctl.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((ctl.desiredSize ?? 0) <= 0) source.pause();
  });
  source.on('end', () => finish(() => ctl.close()));
  watch.onAbort = stop;
  return new ReadableStream<Uint8Array>({
    start: (controller) => {
      ctl = controller;
    },
    pull: () => void source.resume(),
    cancel: () => finish(destroy),
  });
}

const { Z_SYNC_FLUSH, BROTLI_OPERATION_FLUSH } = zlib.constants;
const LENIENT = { flush: Z_SYNC_FLUSH, finishFlush: Z_SYNC_FLUSH };
const BROTLI = { flush: BROTLI_OPERATION_FLUSH, finishFlush: BROTLI_OPERATION_FLUSH };
const DECODERS = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip(LENIENT)],
  ['x-gzip', () => zlib.createGunzip(LENIENT)],
  ['deflate', inflateEither],
  ['br', () => zlib.createBrotliDecompress(BROTLI)],
]);

/**
 * The decoders for a `content-encoding` list, in decoding order (the reverse of the order the codings
 * were applied in). `identity` is skipped; when any coding is unknown the body is passed on as it came.
 */
function decodersFor(header: string | undefined): Transform[] {
  const codings = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.some((c) => !DECODERS.has(c))) return [];
  return codings.reverse().map((c) => DECODERS.get(c)!());
}

/**
 * `deflate` as servers send it: zlib-wrapped (RFC 1950, what the name means) or raw (RFC 1951, what some
 * servers send). The first byte tells: a zlib header's low four bits are 8 (the deflate method).
 */
function inflateEither(): Transform {
  let inner: Transform | undefined;
  const outer = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (chunk.length === 0) return done();
      if (!inner) {
        inner = (chunk[0]! & 0x0f) === 8 ? zlib.createInflate(LENIENT) : zlib.createInflateRaw(LENIENT);
        inner.on('data', (data: Buffer) => outer.push(data));
        inner.on('error', (err) => outer.destroy(err));
      }
      inner.write(chunk, () => done());
    },
    flush(done) {
      if (!inner) return done();
      inner.once('end', () => done());
      inner.end();
    },
  });
  return outer;
}

function dropIdle(agent: http.Agent, prefix: string): void {
  for (const [name, sockets] of Object.entries(agent.freeSockets))
    if (name.startsWith(prefix)) for (const socket of sockets ?? []) socket.destroy();
}

function watchSignal(signal: AbortSignal | undefined): Watch {
  const watch: Watch = { onAbort: undefined, done: noop };
  if (!signal) return watch;
  const listener = () => watch.onAbort?.(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  watch.done = () => signal.removeEventListener('abort', listener);
  return watch;
}
