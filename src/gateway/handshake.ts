import {
  ALL_SCOPES,
  CloseCode,
  type ConnectParams,
  ConnectParamsSchema,
  compileValidator,
  DetailCode,
  formatIssues,
  type HelloOk,
  MAX_PAYLOAD,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type RequestFrame,
  RequestFrameSchema,
} from '../protocol/index.js';
import { type GatewaySecret, secretsEqual } from './auth.js';
import type { Connection } from './connection.js';
import { type FailureLimiter, failureKeys } from './rate-limit.js';
import { wireError } from './wire-error.js';

const frameValidator = compileValidator<RequestFrame>(RequestFrameSchema);
const connectValidator = compileValidator<ConnectParams>(ConnectParamsSchema);

export interface HandshakeDeps {
  secret(): { secret: GatewaySecret; generation: number };
  limiter: FailureLimiter;
  hello(conn: Connection, protocol: number): HelloOk;
  onAuthenticated(conn: Connection): void;
  onRejected(conn: Connection, reason: string): void;
}

/** Parse a frame; undefined when it is not JSON. */
export function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** A usable request id from a frame that failed validation, so the error can still be answered. */
export function salvageId(frame: unknown): string | undefined {
  if (!frame || typeof frame !== 'object') return undefined;
  const id = (frame as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
}

function rateKeys(conn: Connection): string[] {
  return failureKeys(conn.remoteAddress, conn.origin);
}

function reject(
  conn: Connection,
  deps: HandshakeDeps,
  id: string | undefined,
  close: number,
  err: ReturnType<typeof wireError>,
) {
  if (id) conn.respond(id, false, err);
  deps.onRejected(conn, err.details?.code as string);
  conn.close(close, err.message);
}

/** Decide the scopes of a connection that proved the shared secret. */
function grantScopes(params: ConnectParams): string[] {
  if ((params.role ?? 'operator') !== 'operator') return [];
  if (!params.scopes) return [...ALL_SCOPES];
  return params.scopes.filter((s) => (ALL_SCOPES as readonly string[]).includes(s));
}

/**
 * The first frame of a connection must be `req connect` (PROTOCOL.md, Handshake). Every failure answers
 * the connect id (when there is one) and closes with the code the spec gives.
 */
export function handleHandshakeFrame(conn: Connection, data: string, deps: HandshakeDeps): void {
  const frame = parseJson(data);
  if (frame === undefined) {
    deps.onRejected(conn, 'INVALID_JSON');
    conn.close(CloseCode.normal, 'invalid handshake: frame is not JSON');
    return;
  }
  const id = salvageId(frame);
  if (!frameValidator.check(frame) || frame.method !== 'connect') {
    const err = wireError(DetailCode.invalidHandshake, 'invalid handshake: first request must be connect');
    reject(conn, deps, id, CloseCode.policyViolation, err);
    return;
  }
  const params = frame.params ?? {};
  if (!connectValidator.check(params)) {
    const msg = `invalid connect params: ${formatIssues(connectValidator.issues(params))}`;
    reject(conn, deps, frame.id, CloseCode.policyViolation, wireError(DetailCode.invalidParams, msg));
    return;
  }
  if (params.maxProtocol < MIN_PROTOCOL_VERSION || params.minProtocol > PROTOCOL_VERSION) {
    const err = wireError(DetailCode.protocolMismatch, 'protocol mismatch', {
      expectedProtocol: PROTOCOL_VERSION,
      minProtocol: MIN_PROTOCOL_VERSION,
    });
    reject(conn, deps, frame.id, CloseCode.protocolError, err);
    return;
  }

  const keys = rateKeys(conn);
  const retryAfterMs = Math.max(...keys.map((k) => deps.limiter.retryAfter(k)));
  if (retryAfterMs > 0) {
    const err = wireError(
      DetailCode.authRateLimited,
      `unauthorized: too many failed attempts from this address; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
      {},
      { retryable: true, retryAfterMs },
    );
    reject(conn, deps, frame.id, CloseCode.policyViolation, err);
    return;
  }

  const { secret, generation } = deps.secret();
  let method = 'none';
  if (secret.mode !== 'none') {
    const given =
      secret.mode === 'token' ? (params.auth?.token ?? params.auth?.password) : params.auth?.password;
    if (given === undefined || given === '') {
      const what = secret.mode === 'token' ? 'gateway token' : 'gateway password';
      const err = wireError(
        DetailCode.authRequired,
        `unauthorized: this gateway requires a ${what} (pass --token or set CARAPACE_GATEWAY_TOKEN; it is in credentials/gateway-token of the state dir)`,
      );
      reject(conn, deps, frame.id, CloseCode.policyViolation, err);
      return;
    }
    if (!secretsEqual(given, secret.value)) {
      for (const k of keys) deps.limiter.fail(k);
      const err =
        secret.mode === 'token'
          ? wireError(
              DetailCode.authTokenMismatch,
              'unauthorized: gateway token mismatch (use the token from credentials/gateway-token in the state dir, or CARAPACE_GATEWAY_TOKEN)',
            )
          : wireError(DetailCode.authPasswordMismatch, 'unauthorized: gateway password mismatch');
      reject(conn, deps, frame.id, CloseCode.policyViolation, err);
      return;
    }
    for (const k of keys) deps.limiter.succeed(k);
    method = secret.mode;
  }

  conn.phase = 'open';
  conn.client = params.client;
  conn.role = params.role ?? 'operator';
  conn.scopes = grantScopes(params);
  conn.authMethod = method;
  conn.secretGeneration = generation;
  conn.connectedAt = Date.now();
  const protocol = Math.min(params.maxProtocol, PROTOCOL_VERSION);
  conn.respond(frame.id, true, deps.hello(conn, protocol));
  deps.onAuthenticated(conn);
}

/** The payload limit that applies to a connection in its current phase. */
export function payloadLimit(conn: Connection, preAuthMax: number, maxPayload = MAX_PAYLOAD): number {
  return conn.phase === 'handshake' ? preAuthMax : maxPayload;
}
