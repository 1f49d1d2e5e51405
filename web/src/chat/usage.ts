/** Tokens and cost of a number of model turns. */
export interface UsageTotals {
  /** Model calls (assistant messages with usage). */
  turns: number;
  input: number;
  output: number;
  /** USD, from the prices in the gateway's model config (0 without prices). */
  cost: number;
}

/** Usage of one local calendar day (`YYYY-MM-DD`). */
export interface DayUsage extends UsageTotals {
  day: string;
}

/** Usage of one session key. */
export interface SessionUsage extends UsageTotals {
  key: string;
  agentId: string;
}

const empty = (): UsageTotals => ({ turns: 0, input: 0, output: 0, cost: 0 });
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The local calendar day of a timestamp, as `YYYY-MM-DD`. */
export function dayOf(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A transcript message's usage and cost, when it is a model turn that reported them. */
export function turnUsage(message: unknown): { ts: number; totals: UsageTotals } | undefined {
  const m = message as
    | { role?: unknown; ts?: unknown; usage?: Record<string, unknown>; cost?: { total?: unknown } }
    | undefined;
  if (m?.role !== 'assistant' || !m.usage || typeof m.ts !== 'number') return undefined;
  const input = num(m.usage.input) + num(m.usage.cacheRead) + num(m.usage.cacheWrite);
  const output = num(m.usage.output);
  if (input === 0 && output === 0) return undefined;
  return { ts: m.ts, totals: { turns: 1, input, output, cost: num(m.cost?.total) } };
}

function add(into: UsageTotals, t: UsageTotals): void {
  into.turns += t.turns;
  into.input += t.input;
  into.output += t.output;
  into.cost += t.cost;
}

/**
 * Sums transcript messages (pages of `chat.history`) per local day and per session. Only turns at or
 * after `since` count, so a tally covers a fixed window (e.g. the last 30 days).
 */
export class UsageTally {
  readonly #days = new Map<string, DayUsage>();
  readonly #sessions = new Map<string, SessionUsage>();
  readonly total: UsageTotals = empty();
  /** Messages read (for "computed from N messages"). */
  messages = 0;

  constructor(readonly since = 0) {}

  /** Add one page of a session's transcript. Returns the oldest timestamp seen on it (or undefined). */
  addPage(key: string, agentId: string, messages: readonly unknown[]): number | undefined {
    let oldest: number | undefined;
    for (const raw of messages) {
      this.messages++;
      const ts = (raw as { ts?: unknown } | undefined)?.ts;
      if (typeof ts === 'number') oldest = oldest === undefined ? ts : Math.min(oldest, ts);
      const turn = turnUsage(raw);
      if (!turn || turn.ts < this.since) continue;
      const day = dayOf(turn.ts);
      const d = this.#days.get(day) ?? { day, ...empty() };
      const s = this.#sessions.get(key) ?? { key, agentId, ...empty() };
      this.#days.set(day, d);
      this.#sessions.set(key, s);
      add(d, turn.totals);
      add(s, turn.totals);
      add(this.total, turn.totals);
    }
    return oldest;
  }

  /** Days with usage, newest first. */
  get days(): DayUsage[] {
    return [...this.#days.values()].sort((a, b) => b.day.localeCompare(a.day));
  }

  /** Sessions with usage, the most expensive (then the most tokens) first. */
  get sessions(): SessionUsage[] {
    return [...this.#sessions.values()].sort(
      (a, b) => b.cost - a.cost || b.input + b.output - (a.input + a.output) || a.key.localeCompare(b.key),
    );
  }
}

/** `$0.00012`, `$0.43`, `$12.50`: cents for amounts from a dollar, 2 significant digits below. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  const decimals = Math.min(12, Math.max(2, 1 - Math.floor(Math.log10(usd))));
  return `$${usd.toFixed(decimals).replace(/(\.\d*?[1-9])0+$/, '$1')}`;
}
