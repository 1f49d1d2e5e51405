import { randomBytes, randomUUID } from 'node:crypto';

/** A random UUID v4. */
export function newId(): string {
  return randomUUID();
}

/** A URL-safe random token of `bytes` bytes of entropy (base64url). */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A short id for logs and connections: 12 hex characters. */
export function shortId(): string {
  return randomBytes(6).toString('hex');
}
