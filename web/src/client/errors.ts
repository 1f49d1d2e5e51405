import type { ErrorShape } from '../protocol.js';

/** A failed request: the gateway's error shape (`code`, `message`, `details.code`), or a local one. */
export class GatewayRequestError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(shape: ErrorShape) {
    super(shape.message);
    this.name = 'GatewayRequestError';
    this.code = shape.code;
    this.details = shape.details;
    this.retryable = shape.retryable ?? false;
    this.retryAfterMs = shape.retryAfterMs;
  }

  /** The specific reason (`details.code`), falling back to the top-level code. */
  get reason(): string {
    const code = this.details?.code;
    return typeof code === 'string' ? code : this.code;
  }
}

/** Local codes for failures that never reached the gateway. */
export const LocalCode = {
  notConnected: 'NOT_CONNECTED',
  connectionLost: 'CONNECTION_LOST',
  timeout: 'TIMEOUT',
} as const;

/** True when the gateway does not implement the method (older or smaller gateway). */
export function isUnknownMethod(err: unknown): boolean {
  return (
    err instanceof GatewayRequestError && (err.code === 'UNKNOWN_METHOD' || err.reason === 'UNKNOWN_METHOD')
  );
}

/** True when the request never got an answer because the connection was down or dropped. */
export function isConnectionFailure(err: unknown): boolean {
  return (
    err instanceof GatewayRequestError &&
    (err.code === LocalCode.notConnected || err.code === LocalCode.connectionLost)
  );
}

/** A message fit to show a person. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
