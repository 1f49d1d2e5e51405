import type { Binding, DmScope, PeerKind } from '../config/index.js';
import { type AgentsConfig, agentIds, defaultAgentId } from './agents.js';
import { formatSessionKey, type SessionKeyParts } from './session-key.js';

/** The part of the config routing reads. `Config` satisfies it. */
export interface RoutingConfig extends AgentsConfig {
  bindings: readonly Binding[];
  session: { dmScope: DmScope };
}

/** What routing looks at: an `InboundEnvelope` satisfies it. */
export interface RouteInput {
  channel: string;
  accountId?: string | undefined;
  peer?: { kind: PeerKind; id: string } | undefined;
  guildId?: string | undefined;
  teamId?: string | undefined;
  /** The sender's role ids in the guild (Discord). */
  roles?: readonly string[] | undefined;
  threadId?: string | undefined;
}

/** Which tier of binding decided the agent, most specific first. */
export type MatchedBy = 'peer' | 'role' | 'guild' | 'team' | 'account' | 'channel' | 'default';

export interface Route {
  agentId: string;
  sessionKey: string;
  matchedBy: MatchedBy;
  /** Index in `config.bindings` of the binding that decided, absent for the default agent. */
  bindingIndex?: number;
  /** One human sentence per step, for `carapace route` and logs. */
  explanation: string;
}

/**
 * Lower is more specific. Guild and team are one tier: config order decides between them. A binding
 * naming roles (a subset of a guild's members) ranks above one naming only the guild.
 */
const TIER_RANK: Readonly<Record<MatchedBy, number>> = {
  peer: 0,
  role: 1,
  guild: 2,
  team: 2,
  account: 3,
  channel: 4,
  default: 5,
};

/** The tier of a binding: the most specific field its match names. An empty match is a catch-all. */
export function bindingTier(binding: Binding): MatchedBy {
  const m = binding.match;
  if (m.peer) return 'peer';
  if (m.roles !== undefined) return 'role';
  if (m.guildId !== undefined) return 'guild';
  if (m.teamId !== undefined) return 'team';
  if (m.accountId !== undefined) return 'account';
  if (m.channel !== undefined) return 'channel';
  return 'default';
}

/**
 * True when every field the binding names equals the input's (channel names compare case-insensitively);
 * `roles` matches when the sender has any of the listed roles.
 */
export function bindingMatches(binding: Binding, input: RouteInput): boolean {
  const m = binding.match;
  if (m.channel !== undefined && m.channel.toLowerCase() !== input.channel.toLowerCase()) return false;
  if (m.accountId !== undefined && m.accountId !== input.accountId) return false;
  if (m.guildId !== undefined && m.guildId !== input.guildId) return false;
  if (m.teamId !== undefined && m.teamId !== input.teamId) return false;
  if (m.roles !== undefined && !m.roles.some((r) => input.roles?.includes(r))) return false;
  if (m.peer && (m.peer.kind !== input.peer?.kind || m.peer.id !== input.peer.id)) return false;
  return true;
}

function describeMatch(binding: Binding): string {
  const m = binding.match;
  const parts: string[] = [];
  if (m.channel !== undefined) parts.push(`channel=${m.channel}`);
  if (m.accountId !== undefined) parts.push(`account=${m.accountId}`);
  if (m.guildId !== undefined) parts.push(`guild=${m.guildId}`);
  if (m.teamId !== undefined) parts.push(`team=${m.teamId}`);
  if (m.roles !== undefined) parts.push(`roles=${m.roles.join('|')}`);
  if (m.peer) parts.push(`peer=${m.peer.kind}:${m.peer.id}`);
  return parts.length > 0 ? parts.join(', ') : 'everything';
}

/**
 * The session key of a conversation for `agentId`. DMs follow `dmScope`; groups and channels are keyed
 * by channel and id; a thread adds a `:thread:` suffix (except on the main key, which threads share).
 * Without a peer (cron, hooks, heartbeats) the agent's main key.
 */
export function deriveSessionKey(agentId: string, dmScope: DmScope, input: RouteInput): string {
  const peer = input.peer;
  const thread = input.threadId === undefined ? {} : { threadId: input.threadId };
  let parts: SessionKeyParts;
  if (!peer) parts = { kind: 'main', agentId };
  else if (peer.kind === 'group')
    parts = { kind: 'group', agentId, channel: input.channel, groupId: peer.id, ...thread };
  else if (peer.kind === 'channel') {
    parts = { kind: 'channel', agentId, channel: input.channel, channelId: peer.id, ...thread };
  } else if (dmScope === 'main') parts = { kind: 'main', agentId };
  else if (dmScope === 'per-peer') parts = { kind: 'dm', agentId, peerId: peer.id, ...thread };
  else if (dmScope === 'per-channel-peer' || input.accountId === undefined) {
    parts = { kind: 'dm', agentId, channel: input.channel, peerId: peer.id, ...thread };
  } else {
    parts = {
      kind: 'dm',
      agentId,
      channel: input.channel,
      accountId: input.accountId,
      peerId: peer.id,
      ...thread,
    };
  }
  return formatSessionKey(parts);
}

/**
 * Decide which agent answers `input` and in which session. The most specific matching binding wins
 * (peer > role > guild/team > account > channel > catch-all > default agent); among equals, the first in config
 * order. Bindings naming an agent that is not configured are skipped (and say so in the explanation).
 */
export function resolveRoute(config: RoutingConfig, input: RouteInput): Route {
  const known = new Set(agentIds(config));
  const notes: string[] = [];
  let best: { index: number; tier: MatchedBy; binding: Binding } | undefined;
  config.bindings.forEach((binding, index) => {
    if (!bindingMatches(binding, input)) return;
    if (!known.has(binding.agentId)) {
      notes.push(
        `binding #${index} (${describeMatch(binding)}) names unknown agent '${binding.agentId}'; skipped`,
      );
      return;
    }
    const tier = bindingTier(binding);
    if (!best || TIER_RANK[tier] < TIER_RANK[best.tier]) best = { index, tier, binding };
  });
  const dmScope = config.session.dmScope;
  const agentId = best ? best.binding.agentId : defaultAgentId(config);
  const sessionKey = deriveSessionKey(agentId, dmScope, input);
  const why = best
    ? `binding #${best.index} (${describeMatch(best.binding)}) matched by ${best.tier} → agent '${agentId}'`
    : `no binding matched → default agent '${agentId}'`;
  const peer = input.peer ? `${input.peer.kind} ${input.peer.id}` : 'no peer';
  const scope = input.peer?.kind === 'dm' ? ` (dmScope ${dmScope})` : '';
  const explanation = [...notes, why, `${peer} on ${input.channel} → session ${sessionKey}${scope}`].join(
    '; ',
  );
  const route: Route = { agentId, sessionKey, matchedBy: best?.tier ?? 'default', explanation };
  if (best) route.bindingIndex = best.index;
  return route;
}
