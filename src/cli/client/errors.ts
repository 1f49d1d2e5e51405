import {
  CloseCode,
  DetailCode,
  type ErrorShape,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from '../../protocol/index.js';
import { CarapaceError, errnoCode, errorMessage } from '../../shared/index.js';

/** Codes of errors the client raises itself (the gateway's own codes pass through unchanged). */
export const ClientErrorCode = {
  /** Nothing listens at the URL, or the host can't be reached. */
  unreachable: 'GATEWAY_UNREACHABLE',
  /** The connection closed before an answer arrived. */
  closed: 'GATEWAY_CLOSED',
  /** No answer (or no handshake) in time. */
  timeout: 'GATEWAY_TIMEOUT',
  /** The peer does not speak the protocol (bad frames, not a gateway). */
  badPeer: 'GATEWAY_PROTOCOL_ERROR',
  /** A bad option given to the client (URL, …). */
  invalidArgument: 'INVALID_ARGUMENT',
} as const;

const tokenFix = (tokenFile: string | undefined) =>
  `pass --token <token> or set CARAPACE_GATEWAY_TOKEN (a local gateway keeps its token in ${tokenFile ?? '<state dir>/credentials/gateway-token'})`;
const PASSWORD_FIX = 'pass --password <password> or set CARAPACE_GATEWAY_PASSWORD';

/**
 * The wire error of a failed `connect` as a CarapaceError whose message says what to do. The wire `code`
 * and `details` are kept, so callers can still switch on `details.code`. `tokenFile` (the local token
 * file) makes the hint concrete.
 */
export function handshakeError(url: string, error: ErrorShape, tokenFile?: string): CarapaceError {
  const detail = typeof error.details?.code === 'string' ? error.details.code : undefined;
  let message: string;
  switch (detail) {
    case DetailCode.authTokenMismatch:
      message = `the gateway at ${url} rejected the token (gateway token mismatch): ${tokenFix(tokenFile)}`;
      break;
    case DetailCode.authPasswordMismatch:
      message = `the gateway at ${url} rejected the password: ${PASSWORD_FIX}`;
      break;
    case DetailCode.authRequired:
    case 'DEVICE_IDENTITY_REQUIRED':
      message = `the gateway at ${url} requires authentication: ${tokenFix(tokenFile)}, or ${PASSWORD_FIX}`;
      break;
    case DetailCode.authRateLimited: {
      const wait = error.retryAfterMs ? ` in ${Math.ceil(error.retryAfterMs / 1000)} s` : ' later';
      message = `the gateway at ${url} is refusing logins after too many failed attempts: check the token and try again${wait}`;
      break;
    }
    case DetailCode.protocolMismatch: {
      const expected = error.details?.expectedProtocol;
      const theirs = typeof expected === 'number' ? `protocol ${expected}` : 'another protocol version';
      message = `the gateway at ${url} speaks ${theirs}, this CLI speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}: upgrade whichever is older so their versions overlap`;
      break;
    }
    default:
      message = `the gateway at ${url} refused the connection: ${error.message}`;
  }
  return fromWire(error, message);
}

/** A wire error answering a request, as a CarapaceError (`code`, `details`, `retryable` kept). */
export function requestError(method: string, error: ErrorShape): CarapaceError {
  const detail = typeof error.details?.code === 'string' ? error.details.code : undefined;
  let message = `${method} failed: ${error.message}`;
  if (detail === DetailCode.missingScope) {
    const scope = error.details?.missingScope;
    message += `${typeof scope === 'string' ? ` (needs ${scope})` : ''}: connect with a token that grants it`;
  }
  return fromWire(error, message);
}

function fromWire(error: ErrorShape, message: string): CarapaceError {
  return new CarapaceError(error.code, message, {
    details: error.details ?? {},
    retryable: error.retryable ?? false,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  });
}

/** A socket error before the connection opened (refused, unknown host, HTTP answer instead of upgrade). */
export function connectError(url: string, err: unknown): CarapaceError {
  const errno = errnoCode(err);
  const details = { url, ...(errno ? { errno } : {}) };
  if (errno === 'ECONNREFUSED') {
    return new CarapaceError(
      ClientErrorCode.unreachable,
      `no gateway is listening on ${url}: start one with \`carapace gateway run\``,
      { details, retryable: true, cause: err },
    );
  }
  if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN') {
    return new CarapaceError(ClientErrorCode.unreachable, `cannot resolve the host of ${url}: check --url`, {
      details,
      cause: err,
    });
  }
  const text = errorMessage(err);
  const status = /Unexpected server response: (\d+)/.exec(text)?.[1];
  if (status) {
    return new CarapaceError(
      ClientErrorCode.badPeer,
      `${url} answered HTTP ${status} instead of a WebSocket upgrade: is it a Carapace gateway? Check --url`,
      { details: { ...details, status: Number(status) }, cause: err },
    );
  }
  return new CarapaceError(ClientErrorCode.unreachable, `cannot connect to ${url}: ${text}`, {
    details,
    retryable: true,
    cause: err,
  });
}

/** Why the gateway closed the socket, in words, from the close code and reason. */
export function describeClose(code: number, reason: string): string {
  const why = reason ? `: ${reason}` : '';
  switch (code) {
    case CloseCode.serviceRestart:
      return `the gateway is shutting down or restarting (close ${code}${why}); try again in a moment`;
    case CloseCode.policyViolation:
      return `the gateway closed the connection (policy violation, close ${code}${why})`;
    case CloseCode.protocolError:
      return `the gateway closed the connection (protocol error, close ${code}${why}); check that the CLI and gateway versions match`;
    case CloseCode.tooBig:
      return `the gateway closed the connection: a message was too big (close ${code}${why})`;
    case 1006:
      return 'the connection to the gateway was lost (close 1006, no close frame)';
    default:
      return `the gateway closed the connection (close ${code}${why})`;
  }
}

/** The connection closed while something was still waiting. */
export function closedError(url: string, code: number, reason: string, waiting: string): CarapaceError {
  return new CarapaceError(ClientErrorCode.closed, `${describeClose(code, reason)} before ${waiting}`, {
    details: { url, closeCode: code, closeReason: reason },
    retryable: code === CloseCode.serviceRestart || code === 1006,
  });
}
