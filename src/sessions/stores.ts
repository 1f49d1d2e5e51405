import { CarapaceError, type Clock, systemClock } from '../shared/index.js';
import { SessionStore } from './store.js';
import type { SessionStoreOptions } from './store-types.js';

export interface SessionStoresOptions
  extends Pick<SessionStoreOptions, 'onChange' | 'onRepair' | 'onIndexRebuilt'> {
  /** The sessions directory of an agent, or undefined when the agent is unknown. */
  sessionsDir: (agentId: string) => string | undefined;
  clock?: Clock;
  /** At most this many agents keep their index in memory (least recently used leave first). Default 16. */
  maxLoaded?: number;
  /** An agent idle this long (ms) leaves memory at the next access of any store. Default 10 minutes. */
  idleMs?: number;
}

/**
 * The session stores of all agents, one per agent, with a bounded number of indexes in memory: an
 * agent's index is dropped when it is idle for `idleMs` or when more than `maxLoaded` are held, and
 * reloaded on its next use. A store object is never replaced, so two writers never share one index file.
 */
export class SessionStores {
  private readonly stores = new Map<string, SessionStore>();
  private readonly options: SessionStoresOptions;
  private readonly clock: Clock;
  private readonly maxLoaded: number;
  private readonly idleMs: number;

  constructor(options: SessionStoresOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.maxLoaded = options.maxLoaded ?? 16;
    this.idleMs = options.idleMs ?? 10 * 60_000;
  }

  /** The store of `agentId`. Throws UNKNOWN_AGENT_ID when `sessionsDir` does not know the agent. */
  get(agentId: string): SessionStore {
    let store = this.stores.get(agentId);
    if (!store) {
      const dir = this.options.sessionsDir(agentId);
      if (dir === undefined) {
        throw new CarapaceError('UNKNOWN_AGENT_ID', `unknown agent '${agentId}'`, { details: { agentId } });
      }
      const { onChange, onRepair, onIndexRebuilt } = this.options;
      store = new SessionStore({ agentId, dir, clock: this.clock, onChange, onRepair, onIndexRebuilt });
      this.stores.set(agentId, store);
    }
    store.lastUsed = this.clock.monotonic();
    this.evict(store);
    return store;
  }

  /** How many agents hold their index in memory right now. */
  loadedCount(): number {
    let n = 0;
    for (const store of this.stores.values()) if (store.isLoaded()) n++;
    return n;
  }

  /** Fold every index journal into its `sessions.json`. */
  async flush(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.flush()));
  }

  /** Flush and close every store's files (stores reopen them if used again). */
  async close(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.close()));
  }

  /** Drop idle indexes: those unused for `idleMs`, then the least recently used beyond `maxLoaded`. */
  evict(keep?: SessionStore): void {
    const now = this.clock.monotonic();
    const loaded = [...this.stores.values()].filter((s) => s.isLoaded() && s !== keep);
    for (const store of loaded) if (now - store.lastUsed >= this.idleMs) store.unload();
    const still = loaded.filter((s) => s.isLoaded()).sort((a, b) => a.lastUsed - b.lastUsed);
    let excess = still.length + (keep ? 1 : 0) - this.maxLoaded;
    for (const store of still) {
      if (excess <= 0) break;
      if (store.unload()) excess--;
    }
  }
}
