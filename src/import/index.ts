/**
 * import: `carapace import openclaw` — brings an OpenClaw state dir (`~/.openclaw`) across into
 * Carapace's: config, secrets as references, workspace files, cron jobs and sessions. Never writes to the
 * source. Only the CLI uses this folder. See README.md.
 */
export type { ImportOptions } from './import.js';
export { importOpenClaw } from './import.js';
export type { ImportAction, ImportArea, ImportItem, ImportReport } from './report.js';
export { defaultOpenClawDir } from './source.js';
