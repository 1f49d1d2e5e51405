/** The workspace starter files now live in src/config; services.ts still imports them from here. */
export { seedWorkspace, WORKSPACE_SEED_FILES } from '../config/index.js';
