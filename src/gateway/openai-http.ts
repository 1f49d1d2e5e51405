import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatSessionKey } from '../routing/index.js';
import { errorMessage, isCarapaceError } from '../shared/index.js';
import { secretsEqual } from './auth.js';
import { type FailureLimiter, failureKeys } from './rate-limit.js';
import type { RunService } from './runs/run-service.js';
import type { TurnRequest } from './runs/types.js';
import type { GatewaySessions } from './sessions.js';

export interface OpenAiHttpDeps {
  enabled(): boolean;
  /** The shared secret; undefined when auth is off. */
  secret(): string | undefined;
  limiter: FailureLimiter;
  sessions: GatewaySessions;
  runs: RunService;
  /** Subscribe to the gateway's events; returns the unsubscribe function. */
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
  clock: { now(): number };
}

const MAX_BODY = 5 * 1024 * 1024;

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
function oaiError(res: ServerResponse, status: number, message: string, type: string): void {
  json(res, status, { error: { message, type } });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** `carapace`, `carapace/<agentId>` (and the `openclaw` spellings) → an agent id. */
function agentOf(model: unknown, sessions: GatewaySessions): string {
  if (typeof model !== 'string' || model === '')
    throw new Error("'model' is required: 'carapace' or 'carapace/<agentId>'");
  const m = /^(?:carapace|openclaw)(?:\/(.+))?$/.exec(model);
  if (!m)
    throw new Error(
      `unknown model '${model}': use 'carapace' or 'carapace/<agentId>' (GET /v1/models lists them)`,
    );
  return sessions.agent(m[1] ?? sessions.defaultAgentId()).id;
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0)
    throw new Error("'messages' must be a non-empty array");
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown };
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content
        .map((p: { type?: string; text?: string }) => (p?.type === 'text' ? (p.text ?? '') : ''))
        .join('');
    }
  }
  throw new Error("'messages' has no user message");
}

/**
 * The OpenAI-compatible surface: `GET /v1/models` and `POST /v1/chat/completions` (JSON or SSE), off until
 * `gateway.http.endpoints.chatCompletions.enabled`. The conversation lives in the gateway's session for
 * (agent, `user`): only the newest user message of `messages` is sent; `Idempotency-Key` is honoured.
 */
export function createOpenAiHandler(deps: OpenAiHttpDeps) {
  const authorized = (req: IncomingMessage): boolean => {
    const secret = deps.secret();
    if (secret === undefined) return true;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const keys = failureKeys(req.socket.remoteAddress, origin);
    if (keys.some((k) => deps.limiter.retryAfter(k) > 0)) return false;
    if (token && secretsEqual(token, secret)) return true;
    if (token) for (const k of keys) deps.limiter.fail(k);
    return false;
  };

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/v1/models' && path !== '/v1/chat/completions') return false;
    if (!deps.enabled()) {
      oaiError(
        res,
        404,
        `${path} is off: set gateway.http.endpoints.chatCompletions.enabled to true`,
        'not_found',
      );
      return true;
    }
    if (!authorized(req)) {
      json(res, 401, { error: { message: 'Unauthorized', type: 'unauthorized' } });
      return true;
    }
    if (path === '/v1/models' && req.method === 'GET') {
      const created = Math.floor(deps.clock.now() / 1000);
      const data = [{ id: 'carapace', object: 'model', created, owned_by: 'carapace' }];
      for (const a of deps.sessions.agents())
        data.push({ id: `carapace/${a.id}`, object: 'model', created, owned_by: 'carapace' });
      json(res, 200, { object: 'list', data });
      return true;
    }
    if (path === '/v1/chat/completions' && req.method === 'POST') {
      void completions(req, res, deps).catch((err) => {
        if (!res.headersSent) oaiError(res, 500, `internal error: ${errorMessage(err)}`, 'server_error');
        else res.end();
      });
      return true;
    }
    oaiError(res, 405, `method ${req.method} not allowed on ${path}`, 'invalid_request_error');
    return true;
  };
}

async function completions(req: IncomingMessage, res: ServerResponse, deps: OpenAiHttpDeps): Promise<void> {
  let body: { model?: unknown; messages?: unknown; stream?: unknown; user?: unknown };
  let agentId: string;
  let text: string;
  try {
    body = (await readJson(req)) as typeof body;
    agentId = agentOf(body?.model, deps.sessions);
    text = lastUserText(body.messages);
  } catch (err) {
    oaiError(res, 400, `invalid request: ${errorMessage(err)}`, 'invalid_request_error');
    return;
  }
  const user = typeof body.user === 'string' && body.user ? body.user.slice(0, 128) : 'default';
  const sessionKey = formatSessionKey({ kind: 'dm', agentId, channel: 'openai', peerId: user });
  const headerKey = req.headers['idempotency-key'];
  const runId =
    typeof headerKey === 'string' && headerKey
      ? `openai:${headerKey.slice(0, 200)}`
      : `openai:${randomUUID()}`;
  const request: TurnRequest = {
    v: 1,
    runId,
    method: 'openai',
    sessionKey,
    agentId,
    message: text,
    acceptedAt: deps.clock.now(),
  };
  const id = `chatcmpl-${runId.replace(/[^A-Za-z0-9]/g, '').slice(-24)}`;
  const created = Math.floor(deps.clock.now() / 1000);
  const model = String(body.model);
  const stream = body.stream === true;

  let unsubscribe = () => {};
  if (stream) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    chunk({ role: 'assistant' }, null);
    unsubscribe = deps.onEvent((event, payload) => {
      const p = payload as { runId?: string; state?: string; deltaText?: string };
      if (event === 'chat' && p.runId === runId && p.state === 'delta' && p.deltaText)
        chunk({ content: p.deltaText }, null);
    });
  }
  let submitted: Awaited<ReturnType<RunService['submit']>>;
  try {
    submitted = await deps.runs.submit(request);
  } catch (err) {
    unsubscribe();
    const message = isCarapaceError(err) ? err.message : errorMessage(err);
    if (stream) {
      res.write(
        `data: ${JSON.stringify({ error: { message, type: 'invalid_request_error' } })}\n\ndata: [DONE]\n\n`,
      );
      res.end();
    } else oaiError(res, 400, message, 'invalid_request_error');
    return;
  }
  if (submitted.duplicate) {
    unsubscribe();
    oaiError(
      res,
      409,
      `a request with this Idempotency-Key is ${submitted.duplicate === 'open' ? 'still running' : 'already answered'}`,
      'conflict',
    );
    return;
  }
  const outcome = await submitted.outcome;
  unsubscribe();
  const result = outcome.status === 'ok' ? outcome.result : undefined;
  const failure =
    outcome.status !== 'ok'
      ? outcome.error.message
      : result?.status === 'error'
        ? (result.error?.message ?? 'the run failed')
        : undefined;
  const finish = result?.stopReason === 'length' ? 'length' : 'stop';
  const usage = result
    ? {
        prompt_tokens: result.usage.input,
        completion_tokens: result.usage.output,
        total_tokens: result.usage.input + result.usage.output,
      }
    : { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  if (stream) {
    if (failure)
      res.write(`data: ${JSON.stringify({ error: { message: failure, type: 'server_error' } })}\n\n`);
    else
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: finish }], usage })}\n\n`,
      );
    res.end('data: [DONE]\n\n');
    return;
  }
  if (failure) {
    oaiError(res, 502, failure, 'server_error');
    return;
  }
  json(res, 200, {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: result?.text ?? '' }, finish_reason: finish },
    ],
    usage,
  });
}
