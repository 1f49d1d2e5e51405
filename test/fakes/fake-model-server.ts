/**
 * A scripted fake model server: a real HTTP server on 127.0.0.1:0 that speaks OpenAI Chat Completions
 * (SSE and plain JSON), OpenAI Responses (SSE) and Anthropic Messages (SSE). Each request takes the next
 * scripted reply from a queue; every request is recorded so tests can assert on what was sent.
 *
 * Paths: `POST <base>/chat/completions`, `POST <base>/responses`, `POST <base>/messages` for any base
 * (use `server.baseUrl`, which ends in `/v1`). An empty queue answers 500 "no scripted reply" so a test
 * that under-scripts fails loudly.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tool call the fake model makes. `args` as a string is sent verbatim (it may be invalid JSON). */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  args: string | Record<string, unknown>;
}

/** Token counts of one reply. `input` excludes cached tokens (read or written). */
export interface ScriptedUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** One scripted answer. */
export type ScriptedReply =
  | {
      type: 'reply';
      /** Text, streamed as the given chunks (a string is one chunk). */
      text?: string | string[];
      toolCalls?: ScriptedToolCall[];
      usage?: ScriptedUsage;
      /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
      finish?: 'stop' | 'length' | 'tool_calls';
      /** Send only the first N text chunks, then hold the connection open silently until the client leaves. */
      stallAfter?: number;
      /** Send only the first N text chunks (fewer than there are), then drop the connection. */
      resetAfter?: number;
      /** Wait this long before answering (the model's latency). */
      delayMs?: number;
      /** Pause this long before each event after the headers (a slow stream); stops when the client leaves. */
      chunkDelayMs?: number;
    }
  | {
      type: 'error';
      status: number;
      message?: string;
      /** Sent as the `retry-after` header (seconds). */
      retryAfter?: string | number;
      headers?: Record<string, string>;
      /** Wait this long before answering. */
      delayMs?: number;
    }
  /** Answer 200 with stream headers, then send nothing until the client leaves. */
  | { type: 'stall'; delayMs?: number };

/** The wire format a request arrived in (from its path). */
export type FakeApi = 'openai-chat' | 'openai-responses' | 'anthropic';

/** A request the server received. Header names are lower-case. */
export interface RecordedRequest {
  api: FakeApi;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A queue entry: a fixed reply, or one computed from the request. */
export type ScriptStep = ScriptedReply | ((req: RecordedRequest) => ScriptedReply);

export interface FakeModelServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `http://127.0.0.1:<port>/v1`: the `baseUrl` to configure for any of the three APIs. */
  readonly baseUrl: string;
  /** Every request received so far, in order. */
  readonly requests: RecordedRequest[];
  /** Append scripted replies to the queue. */
  enqueue(...steps: ScriptStep[]): void;
  /** How many scripted replies are still waiting. */
  pending(): number;
  /**
   * The requests being answered now: received, and neither ended by the server nor left by the client. A
   * request counts as ended the moment the server ends (or drops) its response, before the client reads it.
   */
  inFlight(): RecordedRequest[];
  close(): Promise<void>;
}

function apiOf(path: string): FakeApi | undefined {
  if (path.endsWith('/chat/completions')) return 'openai-chat';
  if (path.endsWith('/responses')) return 'openai-responses';
  if (path.endsWith('/messages')) return 'anthropic';
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function sendError(res: ServerResponse, api: FakeApi, reply: Extract<ScriptedReply, { type: 'error' }>) {
  const message = reply.message ?? `scripted HTTP ${reply.status}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...reply.headers };
  if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
  const body =
    api === 'anthropic'
      ? { type: 'error', error: { type: reply.status === 429 ? 'rate_limit_error' : 'api_error', message } }
      : {
          error: { message, type: reply.status === 429 ? 'rate_limit_exceeded' : 'server_error', code: null },
        };
  res.writeHead(reply.status, headers).end(JSON.stringify(body));
}

type Reply = Extract<ScriptedReply, { type: 'reply' }>;
const CREATED = 1_700_000_000;

function chunksOf(reply: Reply): string[] {
  if (reply.text === undefined) return [];
  return typeof reply.text === 'string' ? [reply.text] : reply.text;
}
const argsText = (tc: ScriptedToolCall) => (typeof tc.args === 'string' ? tc.args : JSON.stringify(tc.args));
const halves = (s: string) => [s.slice(0, Math.ceil(s.length / 2)), s.slice(Math.ceil(s.length / 2))];
const finishOf = (r: Reply) => r.finish ?? (r.toolCalls?.length ? 'tool_calls' : 'stop');
const stalled = (r: Reply, sent: number) =>
  (r.stallAfter !== undefined && sent >= r.stallAfter) ||
  (r.resetAfter !== undefined && sent >= r.resetAfter);
const cacheTotal = (u: ScriptedUsage) => (u.cacheRead ?? 0) + (u.cacheWrite ?? 0);

function openSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

function sse(res: ServerResponse, data: unknown, event?: string): void {
  const head = event ? `event: ${event}\n` : '';
  res.write(`${head}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

function chatUsage(u: ScriptedUsage) {
  const prompt = u.input + cacheTotal(u);
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead ?? 0 },
  };
}

function writeChatCompletions(res: ServerResponse, reply: Reply, model: string): void {
  openSse(res);
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: CREATED, model };
  const chunk = (delta: unknown, finish: string | null = null) =>
    sse(res, { ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  let sent = 0;
  for (const text of chunksOf(reply)) {
    if (stalled(reply, sent)) return;
    chunk(sent === 0 ? { role: 'assistant', content: text } : { content: text });
    sent++;
  }
  if (stalled(reply, sent)) return;
  (reply.toolCalls ?? []).forEach((tc, i) => {
    const id = tc.id ?? `call_${i + 1}`;
    chunk({ tool_calls: [{ index: i, id, type: 'function', function: { name: tc.name, arguments: '' } }] });
    for (const part of halves(argsText(tc)))
      chunk({ tool_calls: [{ index: i, function: { arguments: part } }] });
  });
  chunk({}, finishOf(reply));
  if (reply.usage) sse(res, { ...base, choices: [], usage: chatUsage(reply.usage) });
  sse(res, '[DONE]');
  res.end();
}

function writeChatJson(res: ServerResponse, reply: Reply, model: string): void {
  const text = chunksOf(reply).join('');
  const toolCalls = (reply.toolCalls ?? []).map((tc, i) => ({
    id: tc.id ?? `call_${i + 1}`,
    type: 'function',
    function: { name: tc.name, arguments: argsText(tc) },
  }));
  const message = {
    role: 'assistant',
    content: text || null,
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
  };
  const body = {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [{ index: 0, message, finish_reason: finishOf(reply) }],
    ...(reply.usage ? { usage: chatUsage(reply.usage) } : {}),
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function responsesUsage(u: ScriptedUsage) {
  const input = u.input + cacheTotal(u);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead ?? 0, cache_write_tokens: u.cacheWrite ?? 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + u.output,
  };
}

function writeResponses(res: ServerResponse, reply: Reply, model: string): void {
  openSse(res);
  let seq = 0;
  const ev = (type: string, payload: Record<string, unknown>) =>
    sse(res, { type, sequence_number: seq++, ...payload }, type);
  const head = { id: 'resp_fake', object: 'response', created_at: CREATED, model };
  ev('response.created', { response: { ...head, status: 'in_progress', output: [] } });
  const chunks = chunksOf(reply);
  let index = 0;
  if (chunks.length > 0 || reply.stallAfter !== undefined || reply.resetAfter !== undefined) {
    const item = { type: 'message', id: 'msg_fake', role: 'assistant' };
    ev('response.output_item.added', {
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    });
    let sent = 0;
    for (const delta of chunks) {
      if (stalled(reply, sent)) return;
      ev('response.output_text.delta', {
        item_id: 'msg_fake',
        output_index: 0,
        content_index: 0,
        delta,
        logprobs: [],
      });
      sent++;
    }
    if (stalled(reply, sent)) return;
    const content = [{ type: 'output_text', text: chunks.join(''), annotations: [] }];
    ev('response.output_item.done', { output_index: 0, item: { ...item, status: 'completed', content } });
    index = 1;
  }
  (reply.toolCalls ?? []).forEach((tc, i) => {
    const call = {
      type: 'function_call',
      id: `fc_${i + 1}`,
      call_id: tc.id ?? `call_${i + 1}`,
      name: tc.name,
    };
    const args = argsText(tc);
    ev('response.output_item.added', {
      output_index: index,
      item: { ...call, arguments: '', status: 'in_progress' },
    });
    ev('response.function_call_arguments.delta', { item_id: call.id, output_index: index, delta: args });
    ev('response.function_call_arguments.done', { item_id: call.id, output_index: index, arguments: args });
    ev('response.output_item.done', {
      output_index: index,
      item: { ...call, arguments: args, status: 'completed' },
    });
    index++;
  });
  const incomplete = reply.finish === 'length';
  ev(incomplete ? 'response.incomplete' : 'response.completed', {
    response: {
      ...head,
      status: incomplete ? 'incomplete' : 'completed',
      incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
      usage: reply.usage ? responsesUsage(reply.usage) : null,
      output: [],
    },
  });
  res.end();
}

const ANTHROPIC_STOP = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' } as const;

function writeAnthropic(res: ServerResponse, reply: Reply, model: string): void {
  openSse(res);
  const ev = (type: string, payload: Record<string, unknown>) => sse(res, { type, ...payload }, type);
  const u = reply.usage ?? { input: 0, output: 0 };
  const startUsage = {
    input_tokens: u.input,
    output_tokens: 0,
    cache_creation_input_tokens: u.cacheWrite ?? 0,
    cache_read_input_tokens: u.cacheRead ?? 0,
  };
  const message = {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
  };
  ev('message_start', { message: { ...message, stop_sequence: null, usage: startUsage } });
  const chunks = chunksOf(reply);
  let index = 0;
  if (chunks.length > 0 || reply.stallAfter !== undefined || reply.resetAfter !== undefined) {
    ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
    let sent = 0;
    for (const text of chunks) {
      if (stalled(reply, sent)) return;
      ev('content_block_delta', { index, delta: { type: 'text_delta', text } });
      sent++;
    }
    if (stalled(reply, sent)) return;
    ev('content_block_stop', { index });
    index++;
  }
  (reply.toolCalls ?? []).forEach((tc, i) => {
    const block = { type: 'tool_use', id: tc.id ?? `toolu_${i + 1}`, name: tc.name, input: {} };
    ev('content_block_start', { index, content_block: block });
    for (const part of halves(argsText(tc))) {
      ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } });
    }
    ev('content_block_stop', { index });
    index++;
  });
  const delta = { stop_reason: ANTHROPIC_STOP[finishOf(reply)], stop_sequence: null };
  ev('message_delta', { delta, usage: { output_tokens: u.output } });
  ev('message_stop', {});
  res.end();
}

/**
 * `res` with its writes, end and destroy released one every `everyMs` (headers go at once), so the
 * synchronous writers above make a slow stream. Nothing more is released once the client has left.
 */
function paced(res: ServerResponse, everyMs: number): ServerResponse {
  const queue: Array<() => void> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    timer = undefined;
    const next = queue.shift();
    if (!next || res.destroyed) return;
    next();
    if (queue.length > 0) timer = setTimeout(tick, everyMs);
  };
  const push = (op: () => void) => {
    queue.push(op);
    timer ??= setTimeout(tick, everyMs);
  };
  res.once('close', () => {
    clearTimeout(timer);
    queue.length = 0;
  });
  const ops: Record<string, unknown> = {
    writeHead: (...args: Parameters<typeof res.writeHead>) => {
      res.writeHead(...args);
      res.flushHeaders();
      return res;
    },
    write: (chunk: string) => {
      push(() => res.write(chunk));
      return true;
    },
    end: (chunk?: string) => {
      push(() => res.end(chunk));
      return res;
    },
    destroy: () => {
      push(() => res.destroy());
      return res;
    },
  };
  return new Proxy(res, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in ops) return ops[prop];
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Track `res` as in flight until the server ends or destroys it, or the client leaves. */
function track(res: ServerResponse, onDone: () => void): void {
  let done = false;
  const settle = () => {
    if (done) return;
    done = true;
    onDone();
  };
  res.once('close', settle);
  const end = res.end.bind(res);
  const destroy = res.destroy.bind(res);
  res.end = ((...args: Parameters<typeof res.end>) => {
    settle();
    return end(...args);
  }) as typeof res.end;
  res.destroy = (err?: Error) => {
    settle();
    return destroy(err);
  };
}

/** Start a fake model server on 127.0.0.1 with an ephemeral port. */
export async function startFakeModelServer(): Promise<FakeModelServer> {
  const queue: ScriptStep[] = [];
  const requests: RecordedRequest[] = [];
  const active = new Set<RecordedRequest>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const api = apiOf(path);
    const text = await readBody(req);
    if (req.method !== 'POST' || !api) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}');
      return;
    }
    const recorded: RecordedRequest = { api, method: req.method, path, headers: headersOf(req), body };
    requests.push(recorded);
    active.add(recorded);
    track(res, () => active.delete(recorded));
    const step = queue.shift();
    if (!step) {
      sendError(res, api, { type: 'error', status: 500, message: 'fake model server: no scripted reply' });
      return;
    }
    const reply = typeof step === 'function' ? step(recorded) : step;
    if (reply.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, reply.delayMs);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (res.destroyed) return; // the client left while the model was "thinking"
    }
    if (reply.type === 'error') return sendError(res, api, reply);
    const model = typeof body.model === 'string' ? body.model : 'fake-model';
    if (reply.type === 'stall') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      return;
    }
    if (api === 'openai-chat' && body.stream !== true) return writeChatJson(res, reply, model);
    const write =
      api === 'openai-chat' ? writeChatCompletions : api === 'anthropic' ? writeAnthropic : writeResponses;
    const out = reply.chunkDelayMs ? paced(res, reply.chunkDelayMs) : res;
    write(out, reply, model);
    // On the next turn of the loop: Node sends what was written (corked until then) before the drop.
    if (reply.resetAfter !== undefined && reply.resetAfter < chunksOf(reply).length)
      setImmediate(() => out.destroy());
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    pending: () => queue.length,
    inFlight: () => [...active],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
