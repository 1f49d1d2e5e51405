/**
 * config: the schema of carapace.json (single source of truth), state paths, loading (JSON5, $include,
 * ${VAR}, CARAPACE_* env, overrides), validation with path-level issues, writing with backups and
 * compare-and-set, redaction and secret refs, hot-reload planning and the file watcher. See README.md.
 */

export * from './client-env.js';
export type { EnvOverride } from './env.js';
export { ENV_OVERRIDES } from './env.js';
export { bindHost, gatewayLogPath } from './gateway-paths.js';
export { MAX_INCLUDE_DEPTH } from './include.js';
export type { ConfigIssue } from './issues.js';
export { formatConfigIssues } from './issues.js';
export { CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from './json-schema.js';
export type { ConfigEnv, DeepPartial, LoadConfigOptions, LoadedConfig } from './load.js';
export { hashConfigText, loadConfig } from './load.js';
export { applyMergePatch } from './merge.js';
export { MAX_CONFIG_BYTES, parseConfigText } from './parse.js';
export * from './paths.js';
export type { ReadTextFile } from './redact.js';
export { REDACTED, redactConfig, resolveSecret } from './redact.js';
export type { ReloadPlan } from './reload.js';
export { changedPaths, planReload } from './reload.js';
export * from './schema.js';
export * from './schema-channels.js';
export * from './schema-cron.js';
export * from './schema-memory.js';
export * from './schema-skills.js';
export * from './schema-tools.js';
export type { ConfigSecretRef } from './secrets.js';
export { collectConfigSecrets, findConfigSecrets } from './secrets.js';
export type { ValidateResult } from './validate.js';
export { DEFAULT_AGENT_ID, validateConfig } from './validate.js';
export type { ConfigWatcherOptions } from './watcher.js';
export { ConfigWatcher } from './watcher.js';
export { seedWorkspace, WORKSPACE_SEED_FILES } from './workspace-seed.js';
export type { WriteConfigOptions } from './write.js';
export { writeConfigFile } from './write.js';
