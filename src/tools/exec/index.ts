/**
 * tools/exec: the `exec` and `process` agent tools. Commands run without a shell when they parse to static
 * argv (pipes, lists and redirections executed here), through `/bin/sh -c` only under `security: full` or
 * after an operator approved the exact command; optionally inside the bubblewrap sandbox. Background
 * processes are owned per session. See README.md.
 */

import type { AgentTool } from '../../agent/index.js';
import { createExecTool, type ExecParamsSchema, type ExecToolDeps } from './exec-tool.js';
import { type ExecNotify, ProcessRegistry } from './process-registry.js';
import { createProcessTool, type ProcessParamsSchema } from './process-tool.js';

export type { ExecToolDeps, ExecToolsConfig } from './exec-tool.js';
export { createExecTool, defaultIsOwnerMain, ExecParamsSchema } from './exec-tool.js';
export type { ForegroundOptions } from './foreground.js';
export type { JobOptions, JobPlan, JobResult, JobStatus } from './job.js';
export { ExecJob } from './job.js';
export type { Launcher, LaunchSpec, SandboxLaunchBase, SpawnPort } from './launcher.js';
export { defaultSpawn, hostLauncher, sandboxLauncher } from './launcher.js';
export { OutputBuffer } from './output-buffer.js';
export type { ExecNotify, ProcessPoll, ProcessRegistryOptions, ProcessSummary } from './process-registry.js';
export { ProcessRegistry } from './process-registry.js';
export { createProcessTool, ProcessParamsSchema } from './process-tool.js';

export interface ExecTools {
  exec: AgentTool<typeof ExecParamsSchema>;
  process: AgentTool<typeof ProcessParamsSchema>;
  /** Stop with the gateway (`stop()`), or per session (`killSession`). */
  registry: ProcessRegistry;
}

/**
 * Build both tools over one process registry. `notify` is called when a background process ends.
 */
export function createExecTools(
  deps: Omit<ExecToolDeps, 'registry'> & { notify?: ExecNotify; registry?: ProcessRegistry },
): ExecTools {
  const registry = deps.registry ?? new ProcessRegistry(deps.notify ? { notify: deps.notify } : {});
  return { exec: createExecTool({ ...deps, registry }), process: createProcessTool(registry), registry };
}
