import type { Config, StatePaths } from '../../config/index.js';
import { defaultAgentId, type ResolvedAgent, resolveAgents } from '../../routing/index.js';
import { CarapaceError } from '../../shared/index.js';
import type { CliContext, StateFlags } from '../context.js';
import { loadLocalConfig } from '../local-config.js';

/** The config, state paths and one resolved agent, for skills and memory commands (no gateway). */
export interface LocalAgent {
  config: Config;
  paths: StatePaths;
  agent: ResolvedAgent;
}

/**
 * Load the config like the gateway would and resolve `--agent` (default: the default agent). Resolves
 * undefined when the config is invalid (its issues are already printed); an unknown agent is an error.
 */
export async function loadLocalAgent(
  ctx: CliContext,
  flags: StateFlags & { agent?: string | undefined },
): Promise<LocalAgent | undefined> {
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return undefined;
  const { config, paths } = local;
  const agentId = flags.agent ?? defaultAgentId(config);
  const agents = resolveAgents(config, paths);
  const agent = agents.find((a) => a.id === agentId);
  if (!agent) {
    const known = agents.map((a) => a.id);
    throw new CarapaceError(
      'UNKNOWN_AGENT_ID',
      `unknown agent '${agentId}' (configured: ${known.join(', ')})`,
      {
        details: { agentId, known },
      },
    );
  }
  return { config, paths, agent };
}
