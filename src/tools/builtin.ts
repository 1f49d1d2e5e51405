import type { AgentTool } from '../agent/index.js';
import type { ToolsConfigSource } from './config.js';
import type { ReadOnlyRoots } from './fs-read-roots.js';
import { createFsTools } from './fs-tools.js';
import { createMessageTool, type MessagePort } from './message-tool.js';
import { createSessionStatusTool, type SessionStatusPort } from './session-status-tool.js';
import { createWebTools, type WebToolsDeps } from './web-tools.js';

/** Everything the built-in tools need; a tool whose port is missing is left out. */
export interface BuiltinToolsDeps extends Omit<WebToolsDeps, 'config'> {
  workspaceDir: string;
  config?: ToolsConfigSource;
  /** Folders outside the workspace `read` may open (the skills the system prompt lists). */
  readOnlyRoots?: ReadOnlyRoots;
  /** The outbound path for `message`. */
  message?: MessagePort;
  /** The session status source for `session_status`. */
  sessionStatus?: SessionStatusPort;
}

/**
 * All built-in tools for one agent: group:fs, group:web, `message` and `session_status` (when their ports
 * are given). Not filtered: apply `filterTools(tools, resolveToolPolicy(config, agentId))`.
 */
export function createBuiltinTools(deps: BuiltinToolsDeps): AgentTool[] {
  const { workspaceDir, config, readOnlyRoots, message, sessionStatus, ...web } = deps;
  const tools: AgentTool[] = [
    ...createFsTools({
      workspaceDir,
      ...(config ? { config } : {}),
      ...(readOnlyRoots ? { readOnlyRoots } : {}),
    }),
    // ── group:runtime ── `exec` and `process` join here: createExecTools from './exec/index.js'
    // (owned by the exec/sandbox/approvals work; not imported yet).
    ...createWebTools({ ...web, ...(config ? { config } : {}) }),
  ];
  if (message) tools.push(createMessageTool(message));
  if (sessionStatus) tools.push(createSessionStatusTool(sessionStatus));
  return tools;
}
