import {
  CloseCode,
  compileValidator,
  DetailCode,
  type ErrorShape,
  formatIssues,
  hasScope,
  type RequestFrame,
  RequestFrameSchema,
} from '../protocol/index.js';
import { nestedDeeperThan } from '../shared/index.js';
import type { Connection } from './connection.js';
import { parseJson, salvageId } from './handshake.js';
import { hashParams, type IdempotencyStore } from './idempotency.js';
import type { MethodContext, MethodRegistry, RegisteredMethod } from './registry.js';
import { toWireError, wireError } from './wire-error.js';

const frameValidator = compileValidator<RequestFrame>(RequestFrameSchema);

export interface DispatchDeps {
  registry: MethodRegistry;
  idempotency: IdempotencyStore;
  /** Called with errors that are not the caller's fault, for the log. */
  onInternalError(err: unknown, method: string): void;
  /** False while the gateway drains: new requests get UNAVAILABLE. */
  accepting(): boolean;
}

/** Params nested deeper than this are refused before a handler (or the idempotency hash) walks them. */
export const MAX_PARAMS_DEPTH = 64;

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

/**
 * Handle one frame from an authenticated connection: validate the frame, find the method, check scope and
 * params, apply idempotency, run the handler, answer. Never throws; every failure becomes a response.
 */
export function dispatchFrame(conn: Connection, data: string, deps: DispatchDeps): void {
  const frame = parseJson(data);
  if (frame === undefined) {
    conn.close(CloseCode.normal, 'invalid frame: not JSON');
    return;
  }
  if (!frameValidator.check(frame)) {
    const id = salvageId(frame);
    const issues = formatIssues(frameValidator.issues(frame));
    if (id) conn.respond(id, false, wireError(DetailCode.invalidFrame, `invalid frame: ${issues}`));
    else conn.close(CloseCode.policyViolation, `invalid frame: ${issues}`);
    return;
  }
  const { id, method: name } = frame;
  if (conn.inFlight.has(id)) {
    conn.respond(
      id,
      false,
      wireError('DUPLICATE_REQUEST_ID', `request id '${id}' is already in flight on this connection`),
    );
    return;
  }
  if (name === 'connect') {
    conn.respond(id, false, wireError(DetailCode.invalidHandshake, 'invalid request: already connected'));
    return;
  }
  const method = deps.registry.get(name);
  if (!method) {
    conn.respond(
      id,
      false,
      wireError(DetailCode.unknownMethod, `unknown method: ${name.slice(0, 128)}`, { method: name }),
    );
    return;
  }
  if (!hasScope(conn.scopes, method.scope)) {
    const err = wireError(DetailCode.missingScope, `missing scope: ${method.scope} (required by ${name})`, {
      missingScope: method.scope,
    });
    conn.respond(id, false, err);
    return;
  }
  if (!deps.accepting()) {
    conn.respond(
      id,
      false,
      wireError(DetailCode.shuttingDown, 'gateway is shutting down', {}, { retryable: true }),
    );
    return;
  }
  const params = frame.params ?? {};
  if (!method.params.check(params)) {
    const msg = `invalid ${name} params: ${formatIssues(method.params.issues(params))}`;
    conn.respond(id, false, wireError(DetailCode.invalidParams, msg, { method: name }));
    return;
  }
  // Free-form params (a config patch, an approvals file) pass the schema at any depth; the recursive
  // code behind them (merge, hashing, validation) would overflow the stack and answer an internal error.
  if (nestedDeeperThan(params, MAX_PARAMS_DEPTH)) {
    const msg = `invalid ${name} params: nested more than ${MAX_PARAMS_DEPTH} levels deep`;
    conn.respond(id, false, wireError(DetailCode.invalidParams, msg, { method: name }));
    return;
  }
  conn.inFlight.add(id);
  const ctx: MethodContext = {
    caller: conn.caller,
    signal: conn.abort.signal,
    accept: (payload) => conn.respond(id, true, payload),
  };
  const done = (ok: boolean, body: unknown) => {
    conn.inFlight.delete(id);
    if (ok) conn.respond(id, true, body);
    else conn.respond(id, false, body as ErrorShape);
  };
  const fail = (err: unknown) => {
    const shape = toWireError(err);
    if (shape.details?.code === DetailCode.internal) deps.onInternalError(err, name);
    done(false, shape);
  };
  if (method.idempotency) {
    runIdempotent(method, params as Record<string, unknown>, ctx, deps.idempotency).then(
      (r) => done(r.ok, r.ok ? r.payload : r.error),
      fail,
    );
    return;
  }
  try {
    const result = (method.handler as (p: unknown, c: MethodContext) => unknown)(params, ctx);
    if (isPromise(result)) result.then((value) => done(true, value), fail);
    else done(true, result);
  } catch (err) {
    fail(err);
  }
}

type Outcome = { ok: true; payload: unknown } | { ok: false; error: ErrorShape };

async function runIdempotent(
  method: RegisteredMethod,
  params: Record<string, unknown>,
  ctx: MethodContext,
  store: IdempotencyStore,
): Promise<Outcome> {
  const key = params.idempotencyKey;
  if (typeof key !== 'string' || key === '') {
    if (method.idempotency?.required) {
      return {
        ok: false,
        error: wireError(
          DetailCode.invalidParams,
          `invalid ${method.name} params: at root: missing required property 'idempotencyKey'`,
        ),
      };
    }
    return {
      ok: true,
      payload: await (method.handler as (p: unknown, c: MethodContext) => unknown)(params, ctx),
    };
  }
  const paramsHash = hashParams(params);
  const begun = store.begin(method.name, key, paramsHash);
  if (begun.kind === 'in_flight') {
    return {
      ok: true,
      payload: method.idempotency?.inFlight?.(begun.record) ?? { status: 'in_flight', idempotencyKey: key },
    };
  }
  if (begun.kind === 'done') {
    const r = begun.record;
    return r.ok
      ? { ok: true, payload: r.payload }
      : { ok: false, error: r.error ?? toWireError(new Error('failed')) };
  }
  await store.start(method.name, key, paramsHash);
  let outcome: Outcome;
  try {
    outcome = {
      ok: true,
      payload: await (method.handler as (p: unknown, c: MethodContext) => unknown)(params, ctx),
    };
  } catch (err) {
    outcome = { ok: false, error: toWireError(err) };
  }
  await store.finish(method.name, key, outcome);
  return outcome;
}
