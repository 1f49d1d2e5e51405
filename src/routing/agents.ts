import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { AgentEntry, StatePaths } from '../config/index.js';
import { CarapaceError } from '../shared/index.js';

/** The agent that exists when `agents.list` is empty. */
export const DEFAULT_AGENT_ID = 'main';

/** The part of the config that names agents. `Config` satisfies it. */
export interface AgentsConfig {
  agents: {
    list: readonly AgentEntry[];
    defaults: { workspace?: string | undefined; model?: string | undefined };
  };
}

/** One agent with its directories resolved. Each agent owns its workspace, sessions and credentials. */
export interface ResolvedAgent {
  id: string;
  name: string;
  isDefault: boolean;
  workspaceDir: string;
  /** `<agentsDir>/<id>/sessions`: sessions.json and the transcripts. */
  sessionsDir: string;
  /** `<agentsDir>/<id>/agent`: auth profiles and model state, never shared between agents. */
  agentDir: string;
  model?: string;
  tools?: NonNullable<AgentEntry['tools']>;
}

function expandPath(p: string, base: string): string {
  const expanded = p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

/** The configured agent entries, or the implicit `main` agent when the list is empty. */
function entries(config: AgentsConfig): readonly AgentEntry[] {
  return config.agents.list.length > 0 ? config.agents.list : [{ id: DEFAULT_AGENT_ID }];
}

/** The default agent's id: the first entry with `default: true`, else the first entry, else `main`. */
export function defaultAgentId(config: AgentsConfig): string {
  const list = entries(config);
  return (list.find((a) => a.default === true) ?? list[0])!.id;
}

/** The ids of every configured agent (or `['main']`), in config order. */
export function agentIds(config: AgentsConfig): string[] {
  return entries(config).map((a) => a.id);
}

/**
 * Resolve every agent with its directories. Workspaces: the entry's `workspace`; else, for the default
 * agent, `agents.defaults.workspace` or the state dir's `workspace/`; else `<stateDir>/workspace-<id>`.
 * Relative paths resolve against the state dir. Throws DUPLICATE_AGENT_ID when two entries share an id.
 */
export function resolveAgents(
  config: AgentsConfig,
  paths: Pick<StatePaths, 'stateDir' | 'agentsDir' | 'workspaceDir'>,
): ResolvedAgent[] {
  const seen = new Set<string>();
  const defaultId = defaultAgentId(config);
  return entries(config).map((entry) => {
    if (seen.has(entry.id)) {
      throw new CarapaceError('DUPLICATE_AGENT_ID', `agents.list names agent '${entry.id}' twice`, {
        details: { agentId: entry.id },
      });
    }
    seen.add(entry.id);
    const isDefault = entry.id === defaultId;
    const fallback = isDefault
      ? (config.agents.defaults.workspace ?? paths.workspaceDir)
      : join(paths.stateDir, `workspace-${entry.id}`);
    const agent: ResolvedAgent = {
      id: entry.id,
      name: entry.name ?? entry.id,
      isDefault,
      workspaceDir: expandPath(entry.workspace ?? fallback, paths.stateDir),
      sessionsDir: join(paths.agentsDir, entry.id, 'sessions'),
      agentDir: join(paths.agentsDir, entry.id, 'agent'),
    };
    const model = entry.model ?? config.agents.defaults.model;
    if (model !== undefined) agent.model = model;
    if (entry.tools !== undefined) agent.tools = entry.tools;
    return agent;
  });
}
