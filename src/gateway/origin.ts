/**
 * Browser Origin policy: a WebSocket or HTTP request that carries an Origin header is allowed only from
 * the gateway's own loopback origin (127.0.0.1, localhost, [::1] on its port) or an allowlisted origin.
 * The Host header is not trusted for this (DNS rebinding makes it attacker-chosen).
 */
export function originAllowed(origin: string, port: number, allowed: readonly string[]): boolean {
  const normalized = normalizeOrigin(origin);
  if (!normalized) return false;
  if (allowed.some((a) => normalizeOrigin(a) === normalized)) return true;
  const own = [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
  return own.includes(normalized);
}

function normalizeOrigin(origin: string): string | undefined {
  if (origin === 'null') return undefined;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return `${url.protocol}//${url.host}`.toLowerCase();
  } catch {
    return undefined;
  }
}
