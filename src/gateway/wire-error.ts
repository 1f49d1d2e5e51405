import { DetailCode, ErrorCode, type ErrorCodeValue, type ErrorShape } from '../protocol/index.js';
import { errorMessage, isCarapaceError } from '../shared/index.js';

/** Which top-level wire code each internal error code maps to; anything else is INVALID_REQUEST. */
const WIRE_CODES: Record<string, ErrorCodeValue> = {
  [DetailCode.missingScope]: ErrorCode.forbidden,
  [DetailCode.authRequired]: ErrorCode.notPaired,
  [DetailCode.shuttingDown]: ErrorCode.unavailable,
  [DetailCode.internal]: ErrorCode.unavailable,
  APPROVAL_NOT_FOUND: ErrorCode.approvalNotFound,
  GATEWAY_BUSY: ErrorCode.unavailable,
};

/** Build a wire error. `detailCode` goes into `details.code`. */
export function wireError(
  detailCode: string,
  message: string,
  details: Record<string, unknown> = {},
  extra: Pick<ErrorShape, 'retryable' | 'retryAfterMs'> = {},
): ErrorShape {
  const code = WIRE_CODES[detailCode] ?? (extra.retryable ? ErrorCode.unavailable : ErrorCode.invalidRequest);
  const shape: ErrorShape = { code, message, details: { ...details, code: detailCode } };
  if (extra.retryable !== undefined) shape.retryable = extra.retryable;
  if (extra.retryAfterMs !== undefined) shape.retryAfterMs = extra.retryAfterMs;
  return shape;
}

/**
 * The one place where thrown errors become the protocol's error shape. A CarapaceError keeps its code
 * (as `details.code`) and message; anything else is an internal error whose message is still shown.
 */
export function toWireError(err: unknown): ErrorShape {
  if (isCarapaceError(err)) {
    const extra: Pick<ErrorShape, 'retryable' | 'retryAfterMs'> = {};
    if (err.retryable) extra.retryable = true;
    if (err.retryAfterMs !== undefined) extra.retryAfterMs = err.retryAfterMs;
    return wireError(err.code, err.message, err.details ?? {}, extra);
  }
  return wireError(DetailCode.internal, `internal error: ${errorMessage(err)}`, {}, { retryable: true });
}
