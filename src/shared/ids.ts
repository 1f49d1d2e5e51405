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
  // randomUUID draws from Node's cached entropy pool; randomBytes asks OpenSSL on every call (~50 µs).
  // The first 12 hex digits of a v4 UUID are all random (the version digit comes after them).
  const uuid = randomUUID();
  return uuid.slice(0, 8) + uuid.slice(9, 13);
}
