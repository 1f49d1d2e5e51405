/**
 * config: the schema of carapace.json (single source of truth), state paths, and (see README) loading,
 * validation, layering, writing with backups, and hot-reload planning.
 */
export * from './client-env.js';
export * from './paths.js';
export * from './schema.js';
