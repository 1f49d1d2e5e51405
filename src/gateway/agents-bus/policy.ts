import type { AgentPair, AgentToAgentConfig } from '../../config/index.js';
import { CarapaceError } from '../../shared/index.js';

/** A session reaching into another agent's sessions without a matching `agentToAgent` rule. */
export const A2A_DENIED = 'AGENT_TO_AGENT_DENIED';
/** A limit of `agentToAgent` (exchanges, spawn depth, children, concurrency) was reached. */
export const A2A_LIMIT = 'AGENT_TO_AGENT_LIMIT';

/** One end of a reach: a session and the agent it belongs to. */
export interface SessionRef {
  agentId: string;
  sessionKey: string;
}

/** True when a pair of `allow` lets agent `from` reach agent `to` (`*` matches any agent). */
export function pairAllows(pairs: readonly AgentPair[], from: string, to: string): boolean {
  return pairs.some((p) => (p.from === '*' || p.from === from) && (p.to === '*' || p.to === to));
}

/** The agents `from` may reach, itself first, in the order given. */
export function reachableAgents(
  config: AgentToAgentConfig,
  from: string,
  agentIds: readonly string[],
): string[] {
  const others = config.enabled
    ? agentIds.filter((id) => id !== from && pairAllows(config.allow, from, id))
    : [];
  return [from, ...others];
}

/** Why agent `from` may not reach agent `to`, naming the config keys that would allow it; undefined if it may. */
export function agentRefusal(config: AgentToAgentConfig, from: string, to: string): string | undefined {
  if (from === to) return undefined;
  const pair = `{ from: '${from}', to: '${to}' }`;
  if (!config.enabled) {
    return `agent '${from}' may not reach agent '${to}': agent-to-agent is off (set agentToAgent.enabled to true and add ${pair} to agentToAgent.allow)`;
  }
  if (!pairAllows(config.allow, from, to)) {
    return `agent '${from}' may not reach agent '${to}': no pair in agentToAgent.allow grants it (add ${pair})`;
  }
  return undefined;
}

/**
 * Why session `from` may not reach session `to`; undefined if it may. A session always reaches itself;
 * its own agent's sessions by `visibility` (`self`: only `related` ones, i.e. its parent and its
 * sub-agents); another agent's sessions by `enabled` and a pair of `allow`.
 */
export function reachRefusal(
  config: AgentToAgentConfig,
  from: SessionRef,
  to: SessionRef,
  related: boolean,
): string | undefined {
  if (from.sessionKey === to.sessionKey) return undefined;
  if (from.agentId !== to.agentId) return agentRefusal(config, from.agentId, to.agentId);
  if (config.visibility === 'agent' || related) return undefined;
  return `session ${to.sessionKey} is not visible from this session: agentToAgent.visibility is 'self' (set it to 'agent' to reach every session of agent '${from.agentId}')`;
}

/** Throw AGENT_TO_AGENT_DENIED when `from` may not reach `to`. */
export function assertReach(
  config: AgentToAgentConfig,
  from: SessionRef,
  to: SessionRef,
  related: boolean,
): void {
  const refusal = reachRefusal(config, from, to, related);
  if (refusal) throw new CarapaceError(A2A_DENIED, refusal, { details: { from, to } });
}

/** A limit error naming the config key that raises it. */
export function limitError(message: string, key: string, value: number): CarapaceError {
  return new CarapaceError(A2A_LIMIT, `${message} (${key} is ${value})`, { details: { key, value } });
}
