import type { AgentTool } from '../../agent/index.js';
import type { Config } from '../../config/index.js';
import type { ResolvedAgent } from '../../routing/index.js';
import { createCronTool } from '../../scheduler/index.js';
import { CarapaceError } from '../../shared/index.js';
import { createBuiltinTools, createExecTools, filterTools, resolveToolPolicy } from '../../tools/index.js';

/** The ports of tools the CLI only describes: none of them is ever called here. */
function notHere(): never {
  throw new CarapaceError('NOT_AVAILABLE', 'tools run in the gateway, not in `carapace agent context`');
}

/**
 * The name and description of every tool a gateway turn of `agent` offers the model, after the tool
 * policy: the built-in tools, `exec` and `process`, and `cron`. Built from the same factories the gateway
 * composes (src/gateway/services.ts), with ports that are never called; keep the two lists in step.
 */
export function describeAgentTools(
  config: Config,
  agent: ResolvedAgent,
): { name: string; description: string }[] {
  const exec = createExecTools({
    config: () => ({ exec: config.tools.exec, sandbox: config.tools.sandbox }),
    workspaceDir: () => agent.workspaceDir,
    env: {},
  });
  const all: AgentTool[] = [
    ...createBuiltinTools({
      workspaceDir: agent.workspaceDir,
      config,
      message: { send: async () => notHere() },
      sessionStatus: { status: async () => notHere() },
    }),
    exec.exec as unknown as AgentTool,
    exec.process as unknown as AgentTool,
    createCronTool({
      add: async () => notHere(),
      list: () => notHere(),
      remove: async () => notHere(),
    }) as unknown as AgentTool,
  ];
  return filterTools(all, resolveToolPolicy(config, agent.id)).map((t) => ({
    name: t.name,
    description: t.description,
  }));
}
