/**
 * Errors with stable codes. Every error the program raises on purpose is a `CarapaceError`;
 * the gateway maps them to the protocol error shape in one place.
 */
export interface CarapaceErrorOptions {
  /** Extra facts for the caller (paths, limits, the holder of a lock …). Must be JSON-safe. */
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

export class CarapaceError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: CarapaceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CarapaceError';
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True when `err` is a CarapaceError, optionally with the given code. */
export function isCarapaceError(err: unknown, code?: string): err is CarapaceError {
  return err instanceof CarapaceError && (code === undefined || err.code === code);
}

/** A readable one-line message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** The errno code of a Node.js system error (`ENOENT`, `EADDRINUSE` …), if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
