import type { AgentTool } from '../../agent/index.js';
import type { Config } from '../../config/index.js';
import type { ResolvedAgent } from '../../routing/index.js';
import { filterTools, resolveToolPolicy } from '../../tools/index.js';

/**
 * Every tool a gateway turn of `agent` can offer, before the tool policy: the list the gateway composes
 * (`agentToolset` in src/gateway/services.ts), built with ports that are never called.
 */
export async function agentToolsetOf(config: Config, agent: ResolvedAgent): Promise<AgentTool[]> {
  const { describeAgentToolset } = await import('../../gateway/index.js');
  return describeAgentToolset(config, agent.workspaceDir);
}

/**
 * The name and description of every tool a gateway turn of `agent` offers the model, after the tool
 * policy: the built-in tools, `exec` and `process`, `cron` and `sessions_*`.
 */
export async function describeAgentTools(
  config: Config,
  agent: ResolvedAgent,
): Promise<{ name: string; description: string }[]> {
  const all = await agentToolsetOf(config, agent);
  return filterTools(all, resolveToolPolicy(config, agent.id)).map((t) => ({
    name: t.name,
    description: t.description,
  }));
}
