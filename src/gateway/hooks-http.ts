import type { IncomingMessage, ServerResponse } from 'node:http';
import { SILENT_REPLY } from '../agent/index.js';
import { type Config, type ConfigEnv, resolveSecret, type SecretRef } from '../config/index.js';
import type { DeliveryTarget, TurnOutcome, TurnRequest } from '../scheduler/index.js';
import { type Clock, errorMessage } from '../shared/index.js';
import { secretsEqual } from './auth.js';
import { type HookAgentBody, parseAgentBody, parseWakeBody } from './hooks-body.js';
import { FailureLimiter } from './rate-limit.js';

/** Hook runs (POST /hooks/agent) in flight at once; more are refused with 429. */
export const MAX_HOOK_RUNS = 8;

/** What the webhook endpoints need from the gateway. */
export interface HooksHttpDeps {
  config(): Config;
  env: ConfigEnv;
  /** The gateway's own secret: a hooks token equal to it is refused. */
  gatewaySecret(): string | undefined;
  clock: Clock;
  /** The configured agent ids and the default one. */
  agents(): { defaultId: string; ids: readonly string[] };
  /** Queue text in the agent's main session (`wake`), beating now or at the next heartbeat. */
  wake(agentId: string, text: string, mode: 'now' | 'next-heartbeat'): Promise<void>;
  /** Run one isolated turn (the scheduler's run path). */
  runTurn(req: TurnRequest): Promise<TurnOutcome>;
  deliver(req: DeliveryTarget & { text: string }): Promise<void>;
  /** A new hook id (a UUID: the session is `hook:<id>`). */
  newHookId(): string;
  /** Wrap text from outside for the model. */
  wrap(text: string, source: string): string;
  log?: { warn(message: string, data?: Record<string, unknown>): void };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function fail(res: ServerResponse, status: number, type: string, message: string, headers = {}): void {
  send(res, status, { ok: false, error: { type, message } }, headers);
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    throw new BodyError(413, 'too_large', `request body over ${max} bytes (hooks.maxBodyBytes)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max)
      throw new BodyError(413, 'too_large', `request body over ${max} bytes (hooks.maxBodyBytes)`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new BodyError(400, 'invalid_request', `the body is not JSON: ${errorMessage(err)}`);
  }
}

/** The token a request presents: `Authorization: Bearer …` or `x-carapace-hook-token`. */
function presented(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  if (/^bearer /i.test(header)) return header.slice(7).trim();
  const own = req.headers['x-carapace-hook-token'];
  return typeof own === 'string' ? own.trim() : '';
}

/**
 * `POST /hooks/wake` and `POST /hooks/agent`: events from outside. Off (404) until `hooks.enabled`; they
 * take only `hooks.token` (never the gateway's, never in the query string), cap the body at
 * `hooks.maxBodyBytes`, lock out an address after repeated bad tokens, and wrap every text they pass on
 * as untrusted external content before a model sees it.
 */
export function createHooksHandler(deps: HooksHttpDeps) {
  const limiter = new FailureLimiter(deps.config().gateway.auth.rateLimit, deps.clock);
  let cached: { key: string; token: Promise<string> } | undefined;
  let inFlight = 0;

  const token = (ref: SecretRef): Promise<string> => {
    const key = JSON.stringify(ref);
    if (cached?.key !== key) cached = { key, token: resolveSecret(ref, deps.env) };
    const entry = cached;
    entry.token.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry.token;
  };

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const config = deps.config();
    const hooks = config.hooks;
    if (!hooks.enabled)
      return fail(res, 404, 'not_found', `${path} is off: set hooks.enabled and hooks.token`);
    if (req.method !== 'POST')
      return fail(res, 405, 'method_not_allowed', `use POST ${path}`, { allow: 'POST' });
    const url = new URL(req.url ?? '/', 'http://hooks.invalid');
    if ([...url.searchParams.keys()].some((k) => /token|secret|key|password/i.test(k))) {
      return fail(
        res,
        400,
        'token_in_url',
        'send the hook token in the Authorization header, never in the URL',
      );
    }
    if (!hooks.token) return fail(res, 503, 'not_configured', 'hooks are enabled but hooks.token is not set');
    let expected: string;
    try {
      expected = await token(hooks.token);
    } catch (err) {
      return fail(res, 503, 'not_configured', `hooks.token cannot be read: ${errorMessage(err)}`);
    }
    const gw = deps.gatewaySecret();
    if (gw !== undefined && secretsEqual(expected, gw)) {
      return fail(res, 503, 'not_configured', 'hooks.token must differ from the gateway token');
    }
    limiter.setPolicy(config.gateway.auth.rateLimit);
    const who = `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    const wait = limiter.retryAfter(who);
    if (wait > 0) {
      const retry = String(Math.ceil(wait / 1000));
      return fail(res, 429, 'locked_out', 'too many bad hook tokens; try again later', {
        'retry-after': retry,
      });
    }
    const given = presented(req);
    if (!given || !secretsEqual(given, expected)) {
      limiter.fail(who);
      return fail(res, 401, 'unauthorized', 'missing or wrong hook token');
    }
    limiter.succeed(who);
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(type)) {
      return fail(res, 415, 'unsupported_media_type', 'send the body as application/json');
    }
    const body = await readBody(req, hooks.maxBodyBytes);
    const agents = deps.agents();
    if (path === '/hooks/wake') {
      const p = parseWakeBody(body, agents);
      const text = deps.wrap(p.text, `webhook POST /hooks/wake${p.source ? ` (${p.source})` : ''}`);
      await deps.wake(p.agentId, text, p.mode);
      return send(res, 200, { ok: true, agentId: p.agentId, mode: p.mode });
    }
    if (inFlight >= MAX_HOOK_RUNS) {
      return fail(res, 429, 'busy', `${MAX_HOOK_RUNS} hook runs are in flight; try again later`, {
        'retry-after': '5',
      });
    }
    const p = parseAgentBody(body, agents);
    const hookId = deps.newHookId();
    const sessionKey = `hook:${hookId}`;
    inFlight++;
    void runHook(deps, p, sessionKey)
      .catch((err) => deps.log?.warn('hook run failed', { sessionKey, error: errorMessage(err) }))
      .finally(() => {
        inFlight--;
      });
    return send(res, 202, { ok: true, hookId, sessionKey, agentId: p.agentId });
  }

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path !== '/hooks/wake' && path !== '/hooks/agent') return false;
    handle(req, res, path).catch((err) => {
      if (res.headersSent) return void res.end();
      if (err instanceof BodyError) return fail(res, err.status, err.type, err.message);
      fail(res, 400, 'invalid_request', errorMessage(err));
    });
    return true;
  };
}

/** The isolated turn of POST /hooks/agent; its reply goes to the main session (wrapped) and the target. */
async function runHook(deps: HooksHttpDeps, p: HookAgentBody, sessionKey: string): Promise<void> {
  const source = `webhook POST /hooks/agent (${p.name})`;
  const req: TurnRequest = { agentId: p.agentId, sessionKey, message: deps.wrap(p.message, source) };
  if (p.model) req.model = p.model;
  if (p.timeoutSeconds) req.timeoutMs = p.timeoutSeconds * 1000;
  const out = await deps.runTurn(req);
  const text = out.text.trim();
  if (out.status !== 'ok') {
    await deps.wake(p.agentId, `[hook] ${p.name} failed: ${out.error ?? out.status}`, p.wakeMode);
    return;
  }
  if (text === '' || text === SILENT_REPLY) return;
  await deps.wake(p.agentId, deps.wrap(text, `reply of the hook run ${sessionKey} (${p.name})`), p.wakeMode);
  if (p.deliver) await deps.deliver({ ...p.deliver, text });
}
