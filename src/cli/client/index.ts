/**
 * The gateway protocol client of the CLI: one authenticated WebSocket connection, `call()` with
 * expect-final support, and errors that say how to fix them. Uses only `ws`, src/protocol and src/shared.
 */
export type { CallOptions, EventListener, GatewayClient, GatewayClientOptions } from './client.js';
export { connectGateway, normalizeGatewayUrl } from './client.js';
export { ClientErrorCode, describeClose } from './errors.js';
