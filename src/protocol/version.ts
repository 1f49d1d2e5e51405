/** The protocol this gateway speaks, and the oldest one it still accepts. */
export const PROTOCOL_VERSION = 4;
export const MIN_PROTOCOL_VERSION = 3;

/** Transport limits from PROTOCOL.md. */
export const PRE_AUTH_MAX_PAYLOAD = 64 * 1024;
export const MAX_PAYLOAD = 25 * 1024 * 1024;
export const MAX_BUFFERED_BYTES = 50 * 1024 * 1024;
export const HANDSHAKE_TIMEOUT_MS = 10_000;
export const TICK_INTERVAL_MS = 30_000;

/** WebSocket close codes the gateway uses. */
export const CloseCode = {
  normal: 1000,
  protocolError: 1002,
  policyViolation: 1008,
  tooBig: 1009,
  serviceRestart: 1012,
} as const;
