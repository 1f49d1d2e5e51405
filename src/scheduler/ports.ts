import type { CronEvent, HeartbeatEvent } from '../protocol/index.js';

/** One agent turn the scheduler asks the gateway for (a cron job's isolated turn, or a heartbeat). */
export interface TurnRequest {
  agentId: string;
  sessionKey: string;
  message: string;
  /** A heartbeat turn: the gateway puts HEARTBEAT.md into the context. */
  heartbeat?: boolean;
  timeoutMs?: number;
  /** A model reference overriding the agent's for this turn. */
  model?: string;
  /** Aborted when the scheduler stops or the job is removed. */
  signal?: AbortSignal;
}

/** How a turn ended. `text` is the final reply (empty or NO_REPLY when the agent had nothing to say). */
export interface TurnOutcome {
  status: 'ok' | 'error' | 'timeout';
  text: string;
  error?: string;
  /** Tokens the turn used (input + output, cached included); counted against a heartbeat budget. */
  tokens?: number;
}

/** A recipient on a channel. */
export interface DeliveryTarget {
  channel: string;
  to: string;
  accountId?: string;
}

/** A message for a channel, sent without an agent run. */
export interface DeliveryRequest extends DeliveryTarget {
  text: string;
}

/**
 * What the scheduler needs from the gateway. Every call may reject; the scheduler records the failure.
 */
export interface SchedulerPorts {
  /** Run one turn and resolve with its final reply. Should honour `signal`. */
  runTurn(req: TurnRequest): Promise<TurnOutcome>;
  /** Queue `text` as a system event for the session; the next turn there sees it. */
  systemEvent(agentId: string, sessionKey: string, text: string): void | Promise<void>;
  /** Announce a result on a channel. */
  deliver(req: DeliveryRequest): Promise<void>;
  /** Broadcast a `cron` or `heartbeat` event to clients. */
  emit(event: 'cron', payload: CronEvent): void;
  emit(event: 'heartbeat', payload: HeartbeatEvent): void;
  /**
   * The agent's HEARTBEAT.md, or undefined when it has none. When given, a periodic heartbeat whose file
   * holds only comments and headings (and with no system event queued) is skipped without a turn.
   */
  heartbeatFile?(agentId: string): Promise<string | undefined>;
  /**
   * The channel and peer the agent last talked with (a heartbeat's default target), or undefined when
   * it never did. Without it, heartbeats with the `last` target deliver nowhere.
   */
  lastTarget?(agentId: string): Promise<DeliveryTarget | undefined>;
}

/** The timer port: real `setTimeout` in production, a fake one in tests. Delays are monotonic. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Timers on the Node.js event loop. */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Where the scheduler reports problems it survives (a bad run log line, a failed write). */
export interface SchedulerLog {
  warn(message: string, data?: Record<string, unknown>): void;
}
