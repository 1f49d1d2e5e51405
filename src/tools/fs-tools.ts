import type { AgentTool } from '../agent/index.js';
import { createApplyPatchTool } from './apply-patch-tool.js';
import { type ToolsConfigSource, toolsConfig } from './config.js';
import { createWorkspaceFence } from './fence.js';
import type { ReadOnlyRoots } from './fs-read-roots.js';
import { createReadTools } from './fs-read-tools.js';
import { createSearchTools } from './fs-search-tools.js';
import { createWriteTools } from './fs-write-tools.js';

/** What the file tools need: the agent's workspace and the `tools.fs` settings. */
export interface FsToolsDeps {
  workspaceDir: string;
  config?: ToolsConfigSource;
  /** Folders outside the workspace that `read` (only) may open by absolute path: the listed skills' folders. */
  readOnlyRoots?: ReadOnlyRoots;
}

/**
 * The file tools of `group:fs` — read, write, edit, apply_patch, ls, find, grep — all going through one
 * workspace fence (tools.fs.workspaceOnly, on by default) and capped by tools.fs.maxReadBytes. `read` may
 * also open files under `readOnlyRoots`, each behind a fence of its own.
 */
export function createFsTools(deps: FsToolsDeps): AgentTool[] {
  const fs = toolsConfig(deps.config).fs;
  const fence = createWorkspaceFence(deps.workspaceDir, { workspaceOnly: fs.workspaceOnly });
  const [read, ls] = createReadTools(fence, fs.maxReadBytes, deps.readOnlyRoots);
  const [write, edit] = createWriteTools(fence, fs.maxReadBytes);
  const [find, grep] = createSearchTools(fence, fs.maxReadBytes);
  return [read!, write!, edit!, createApplyPatchTool(fence, fs.maxReadBytes), ls!, find!, grep!];
}
