/**
 * agents-bus: agents working together. The session tools (`sessions_list`, `sessions_history`,
 * `sessions_send`, `sessions_spawn`) over the run path, gated by `agentToAgent` in config. See README.md.
 */
export { AgentBus } from './bus.js';
export type { AgentBusDeps, BusRunPort } from './core.js';
export { SESSION_NOT_FOUND } from './core.js';
export type { SessionRef } from './policy.js';
export { A2A_DENIED, A2A_LIMIT, agentRefusal, pairAllows, reachableAgents, reachRefusal } from './policy.js';
export type { ChildRecord, ChildStatus } from './registry.js';
export type { SendResult } from './send.js';
export { DEFAULT_WAIT_SECONDS } from './send.js';
export type { SpawnResult } from './spawn.js';
