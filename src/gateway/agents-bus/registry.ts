import { BoundedMap } from '../../shared/index.js';

/** Originating runs whose exchange counts are remembered (the oldest are forgotten first). */
const MAX_ORIGINS = 5000;
/** Finished sub-agents remembered for `sessions_list` and the `self` visibility. */
const MAX_FINISHED_CHILDREN = 2000;

/**
 * What the bus knows about a run it set off: the originating run it belongs to (for the exchange bound)
 * and the sessions whose turns are blocked waiting for it (a wait on one of them would never end).
 */
export interface RunLink {
  origin: string;
  waiting: readonly string[];
}

export type ChildStatus = 'running' | 'ok' | 'error' | 'timeout' | 'aborted';

/** A sub-agent started by `sessions_spawn`. */
export interface ChildRecord {
  sessionKey: string;
  agentId: string;
  parentKey: string;
  parentAgentId: string;
  /** 1 for a child of an ordinary session, 2 for a child of a sub-agent … */
  depth: number;
  runId: string;
  label: string;
  startedAt: number;
  endedAt?: number;
  status: ChildStatus;
}

/**
 * The bus's in-memory state: run links, exchange counts per originating run, and sub-agents. Nothing here
 * survives a restart; agent-to-agent turns are not replayed either (they are submitted non-durably).
 */
export class BusRegistry {
  readonly #links = new Map<string, RunLink>();
  readonly #exchanges = new BoundedMap<string, number>(MAX_ORIGINS);
  readonly #children = new Map<string, ChildRecord>();

  /** The link of a run the bus set off; undefined for an originating run. */
  link(runId: string): RunLink | undefined {
    return this.#links.get(runId);
  }

  setLink(runId: string, link: RunLink): void {
    this.#links.set(runId, link);
  }

  dropLink(runId: string): void {
    this.#links.delete(runId);
  }

  /** The originating run `runId` belongs to and the sessions waiting on it. */
  lineage(runId: string): RunLink {
    return this.#links.get(runId) ?? { origin: runId, waiting: [] };
  }

  exchanges(origin: string): number {
    return this.#exchanges.get(origin) ?? 0;
  }

  countExchange(origin: string): void {
    this.#exchanges.set(origin, this.exchanges(origin) + 1);
  }

  child(sessionKey: string): ChildRecord | undefined {
    return this.#children.get(sessionKey);
  }

  addChild(record: ChildRecord): void {
    this.#children.set(record.sessionKey, record);
  }

  finishChild(sessionKey: string, status: Exclude<ChildStatus, 'running'>, endedAt: number): void {
    const record = this.#children.get(sessionKey);
    if (!record) return;
    record.status = status;
    record.endedAt = endedAt;
    const finished = [...this.#children.values()].filter((c) => c.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_CHILDREN)))
      this.#children.delete(old.sessionKey);
  }

  childrenOf(parentKey: string): ChildRecord[] {
    return [...this.#children.values()].filter((c) => c.parentKey === parentKey);
  }

  runningChildren(parentKey: string): number {
    return this.childrenOf(parentKey).filter((c) => c.status === 'running').length;
  }

  runningTotal(): number {
    let n = 0;
    for (const c of this.#children.values()) if (c.status === 'running') n++;
    return n;
  }

  /** True when one session spawned the other. */
  related(a: string, b: string): boolean {
    return this.#children.get(a)?.parentKey === b || this.#children.get(b)?.parentKey === a;
  }
}
