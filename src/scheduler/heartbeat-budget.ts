import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, errorMessage, writeFileAtomic } from '../shared/index.js';
import type { SchedulerLog } from './ports.js';

interface AgentUsage {
  /** The day (YYYY-MM-DD, in the budget's zone) the counts belong to. */
  day: string;
  tokens: number;
  /** The pause was announced on this day. */
  noticed?: boolean;
}

interface UsageFile {
  version: 1;
  agents: Record<string, AgentUsage>;
}

/**
 * Tokens spent on heartbeats per agent and day, kept in `<cronDir>/heartbeat-usage.json` so a restart
 * does not refill a spent budget. Writes are serialized and atomic; a lost write only forgets tokens.
 */
export class HeartbeatBudget {
  readonly path: string;
  readonly #log: SchedulerLog | undefined;
  #agents: Record<string, AgentUsage> = {};
  #chain: Promise<void> = Promise.resolve();

  constructor(cronDir: string, log?: SchedulerLog) {
    this.path = join(cronDir, 'heartbeat-usage.json');
    this.#log = log;
  }

  /** Read the file; a missing or damaged one starts from zero. */
  async load(): Promise<void> {
    try {
      const doc = JSON.parse(await readFile(this.path, 'utf8')) as Partial<UsageFile>;
      const agents: Record<string, AgentUsage> = {};
      for (const [id, u] of Object.entries(doc.agents ?? {})) {
        if (typeof u?.day === 'string' && Number.isFinite(u.tokens)) agents[id] = u;
      }
      this.#agents = agents;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        this.#log?.warn('heartbeat: usage file unreadable; counting from zero', { error: errorMessage(err) });
      }
    }
  }

  /** Tokens the agent's heartbeats used on `day`. */
  used(agentId: string, day: string): number {
    const u = this.#agents[agentId];
    return u?.day === day ? u.tokens : 0;
  }

  /** Count tokens for the agent on `day`. */
  add(agentId: string, day: string, tokens: number): Promise<void> {
    if (!(tokens > 0)) return this.#chain;
    const u = this.#current(agentId, day);
    u.tokens += Math.round(tokens);
    return this.#save();
  }

  /** True the first time it is called for the agent on `day` (the pause is announced once a day). */
  firstNotice(agentId: string, day: string): boolean {
    const u = this.#current(agentId, day);
    if (u.noticed) return false;
    u.noticed = true;
    void this.#save();
    return true;
  }

  /** Wait for pending writes. */
  flush(): Promise<void> {
    return this.#chain;
  }

  #current(agentId: string, day: string): AgentUsage {
    let u = this.#agents[agentId];
    if (u?.day !== day) {
      u = { day, tokens: 0 };
      this.#agents[agentId] = u;
    }
    return u;
  }

  #save(): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      const doc: UsageFile = { version: 1, agents: this.#agents };
      await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 }).catch((err) =>
        this.#log?.warn('heartbeat: could not save the usage file', { error: errorMessage(err) }),
      );
    });
    return this.#chain;
  }
}
