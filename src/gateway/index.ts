/**
 * gateway: the composition root. The WebSocket + HTTP server, auth, the method registry and handlers,
 * idempotency, events, the single-instance lock. It alone wires the subsystems together.
 */
export { bindHost, ensureGatewayToken, isLoopbackAddress, secretsEqual } from './auth.js';
export type { GatewayStartOptions } from './gateway.js';
export { Gateway } from './gateway.js';
export { IdempotencyStore } from './idempotency.js';
export type { LockInfo, LockState } from './lock.js';
export { processAlive, readLockFile } from './lock.js';
export { gatewayLogPath } from './logger.js';
export { CENSOR, SecretScrubber, secretForms } from './redactor.js';
export { runGateway } from './run.js';
export type { AgentToolPorts } from './services.js';
export { agentToolset, describeAgentToolset } from './services.js';
export { GATEWAY_VERSION } from './views.js';
export { seedWorkspace, WORKSPACE_SEED_FILES } from './workspace-seed.js';
