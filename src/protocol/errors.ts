import Type, { type Static } from 'typebox';

/** Top-level error codes on the wire (PROTOCOL.md). The specific reason goes in `details.code`. */
export const ErrorCode = {
  invalidRequest: 'INVALID_REQUEST',
  forbidden: 'FORBIDDEN',
  unavailable: 'UNAVAILABLE',
  notPaired: 'NOT_PAIRED',
  approvalNotFound: 'APPROVAL_NOT_FOUND',
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Detail codes (`error.details.code`). Stable strings; clients may switch on them. */
export const DetailCode = {
  authTokenMismatch: 'AUTH_TOKEN_MISMATCH',
  authPasswordMismatch: 'AUTH_PASSWORD_MISMATCH',
  authRequired: 'AUTH_REQUIRED',
  authRateLimited: 'AUTH_RATE_LIMITED',
  protocolMismatch: 'PROTOCOL_MISMATCH',
  missingScope: 'MISSING_SCOPE',
  invalidFrame: 'INVALID_FRAME',
  invalidParams: 'INVALID_PARAMS',
  unknownMethod: 'UNKNOWN_METHOD',
  invalidHandshake: 'INVALID_HANDSHAKE',
  originNotAllowed: 'ORIGIN_NOT_ALLOWED',
  idempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  configInvalid: 'CONFIG_INVALID',
  configHashMismatch: 'CONFIG_HASH_MISMATCH',
  internal: 'INTERNAL_ERROR',
  shuttingDown: 'SHUTTING_DOWN',
} as const;

export const ErrorShapeSchema = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    retryable: Type.Optional(Type.Boolean()),
    retryAfterMs: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type ErrorShape = Static<typeof ErrorShapeSchema>;
