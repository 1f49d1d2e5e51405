/**
 * protocol: the wire contract of the gateway (PROTOCOL.md) as TypeBox schemas. Browser-safe: imports
 * only typebox, so web/ and the CLI share it with the server. Types and validators derive from the schemas.
 */
export * from './connect.js';
export * from './errors.js';
export * from './frames.js';
export * from './methods.js';
export * from './methods-agent.js';
export * from './methods-approvals.js';
export * from './methods-channels.js';
export * from './methods-core.js';
export * from './methods-cron.js';
export * from './methods-sessions.js';
export * from './scopes.js';
export type { ValidationIssue, Validator } from './validate.js';
export { compileValidator, formatIssues } from './validate.js';
export * from './version.js';
