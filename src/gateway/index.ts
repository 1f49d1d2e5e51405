/**
 * gateway: the composition root. The WebSocket + HTTP server, auth, the method registry and handlers,
 * idempotency, events, the single-instance lock. It alone wires the subsystems together.
 */
/** Moved to config/shared (re-exported here so existing importers keep working). */
export { bindHost, gatewayLogPath, seedWorkspace, WORKSPACE_SEED_FILES } from '../config/index.js';
export type { LockInfo, LockState } from '../shared/index.js';
export { isLoopbackAddress, processAlive, readLockFile } from '../shared/index.js';
export { ensureGatewayToken, secretsEqual } from './auth.js';
export type { GatewayStartOptions } from './gateway.js';
export { Gateway } from './gateway.js';
export { IdempotencyStore } from './idempotency.js';
export { CENSOR, SecretScrubber, secretForms } from './redactor.js';
export { runGateway } from './run.js';
export type { AgentToolPorts } from './services-tools.js';
export { agentToolset, describeAgentToolset } from './services-tools.js';
export { GATEWAY_VERSION } from './views.js';
