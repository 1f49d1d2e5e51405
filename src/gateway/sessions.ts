import type { Config, StatePaths } from '../config/index.js';
import {
  defaultAgentId,
  normalizeSessionKey,
  parseSessionKey,
  type ResolvedAgent,
  resolveAgents,
  sessionKeyAgentId,
} from '../routing/index.js';
import {
  type SessionChange,
  type SessionEntry,
  type SessionStore,
  SessionStores,
} from '../sessions/index.js';
import { CarapaceError, type Clock } from '../shared/index.js';
import type { SessionSummary } from './views.js';

export interface GatewaySessionsDeps {
  config(): Config;
  paths: StatePaths;
  clock: Clock;
  onChange(change: SessionChange): void;
  onRepair(info: { sessionKey: string; sessionId: string; report: unknown }): void;
}

/**
 * The gateway's view of agents and their session stores: resolves keys (the `main` alias, the agent a
 * key belongs to), hands out stores, and keeps a cheap per-agent summary for `health`.
 */
export class GatewaySessions {
  readonly stores: SessionStores;
  #agentsFor: Config | undefined;
  #agents: ResolvedAgent[] = [];
  readonly #summaries = new Map<string, SessionSummary & { at: number }>();

  constructor(private readonly deps: GatewaySessionsDeps) {
    this.stores = new SessionStores({
      sessionsDir: (agentId) => this.agents().find((a) => a.id === agentId)?.sessionsDir,
      clock: deps.clock,
      onChange: (change) => {
        this.#summaries.delete(change.agentId);
        deps.onChange(change);
      },
      onRepair: deps.onRepair,
    });
  }

  /** Every configured agent (or `main`), resolved against the state dir; recomputed when config changes. */
  agents(): ResolvedAgent[] {
    const config = this.deps.config();
    if (this.#agentsFor !== config) {
      this.#agents = resolveAgents(config, this.deps.paths);
      this.#agentsFor = config;
    }
    return this.#agents;
  }

  defaultAgentId(): string {
    return defaultAgentId(this.deps.config());
  }

  agent(agentId: string): ResolvedAgent {
    const agent = this.agents().find((a) => a.id === agentId);
    if (!agent) {
      const known = this.agents().map((a) => a.id);
      throw new CarapaceError(
        'UNKNOWN_AGENT_ID',
        `unknown agent '${agentId}' (configured: ${known.join(', ')})`,
        {
          details: { agentId, known },
        },
      );
    }
    return agent;
  }

  /** The canonical key and its agent. `main` is the default agent's main session. */
  resolveKey(key: string): { key: string; agentId: string } {
    const defaultId = this.defaultAgentId();
    const canonical = normalizeSessionKey(key, { defaultAgentId: defaultId });
    const agentId = sessionKeyAgentId(parseSessionKey(canonical), defaultId);
    this.agent(agentId);
    return { key: canonical, agentId };
  }

  store(agentId: string): SessionStore {
    this.agent(agentId);
    return this.stores.get(agentId);
  }

  /** Every session (of one agent, or all), newest activity first: the index's own entries, read-only. */
  async entries(agentId?: string): Promise<readonly Readonly<SessionEntry>[]> {
    const ids = agentId ? [this.agent(agentId).id] : this.agents().map((a) => a.id);
    const lists = await Promise.all(ids.map((id) => this.stores.get(id).listView()));
    return lists.length === 1 ? lists[0]! : lists.flat().sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** For `health`: cached per agent, refreshed in the background when a session changed or after 5 s. */
  summary(agentId: string): SessionSummary {
    const agent = this.agents().find((a) => a.id === agentId);
    const path = `${agent?.sessionsDir ?? ''}/sessions.json`;
    const cached = this.#summaries.get(agentId);
    const now = this.deps.clock.now();
    if (!cached || now - cached.at > 5000) void this.#refresh(agentId, path);
    return cached ?? { path, count: 0, recent: [] };
  }

  async #refresh(agentId: string, path: string): Promise<void> {
    try {
      const list = await this.stores.get(agentId).listView();
      const now = this.deps.clock.now();
      const recent = list.slice(0, 5).map((e) => ({ key: e.sessionKey, age: now - e.updatedAt }));
      this.#summaries.set(agentId, { path, count: list.length, recent, at: now });
    } catch {
      // An unreadable index is reported by the store's own repair path; health keeps the last figures.
    }
  }

  flush(): Promise<void> {
    return this.stores.flush();
  }

  /** Flush every index and close the open transcript and journal files (at shutdown). */
  close(): Promise<void> {
    return this.stores.close();
  }
}

/** The kind of conversation a key names (`main`, `dm`, `group` …). */
export function sessionKind(key: string): string {
  try {
    return parseSessionKey(key).kind;
  } catch {
    return 'unknown';
  }
}
