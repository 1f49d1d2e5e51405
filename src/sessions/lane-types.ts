import type { QueueMode } from '../config/index.js';
import { CarapaceError, type Clock } from '../shared/index.js';
import type { LaneStore } from './lane-store.js';

/** How a lane queues (`config.messages.queue` satisfies it). */
export interface QueueSettings {
  /** followup: each message its own turn · collect: what arrived while busy is one turn · steer: into the
   * running turn (`takeSteered`), else the next turn · interrupt: abort the running turn, run the newest. */
  mode: QueueMode;
  /** Start a turn only after the lane has been quiet this long (ms). */
  debounceMs: number;
  /** Waiting entries per lane. */
  cap: number;
  /** When full: 'old' drops the oldest waiting entry, 'new' refuses the newcomer, 'summarize' folds the
   * newcomer into the last waiting entry (with `fold`). */
  drop: 'old' | 'new' | 'summarize';
}

/** What a run function gets: one turn of one session. */
export interface LaneJob<M> {
  readonly sessionKey: string;
  readonly runId: string;
  /** The messages of this turn, oldest first. */
  readonly messages: readonly M[];
  /** Aborted on interrupt, `abort()`, timeout and shutdown; `reason` is a CarapaceError. */
  readonly signal: AbortSignal;
  /** Messages sent in steer mode since this turn started. Call at tool boundaries; the messages taken
   * share this turn's outcome. Messages never taken run as the next turn. */
  takeSteered(): M[];
}

export type LaneRunFn<M, R> = (job: LaneJob<M>) => Promise<R>;

/** Why a message never reached (or never finished) a run. */
export type DropReason = 'lane-full' | 'evicted' | 'superseded' | 'aborted' | 'shutdown';

/**
 * The one outcome of every submitted message. `dropped` with reason `shutdown` means "not answered":
 * leave it in the inbox so it is replayed after a restart.
 */
export type LaneOutcome<R> =
  | { status: 'ok'; runId: string; result: R }
  | { status: 'error'; runId: string; error: CarapaceError }
  | { status: 'dropped'; reason: DropReason; error: CarapaceError };

export interface OutcomeEvent<R> {
  /** The id given to (or made by) `submit`. */
  id: string;
  sessionKey: string;
  outcome: LaneOutcome<R>;
}

export interface LaneManagerOptions<M, R> {
  run: LaneRunFn<M, R>;
  queue?: Partial<QueueSettings>;
  /** Runs at once across all lanes. Default 4. */
  maxConcurrent?: number;
  /** A run longer than this is aborted and its lane freed. Default 600 000 (10 min). */
  timeoutMs?: number;
  /** After an abort, how long a run may take to settle before its lane is freed anyway. Default 5 000. */
  abortGraceMs?: number;
  /** Folds messages into one (the `summarize` overflow policy); required for it. Must stay bounded. */
  fold?: (messages: M[]) => M;
  /** Called once per submitted message with its outcome. Must not throw. */
  onOutcome?: (event: OutcomeEvent<R>) => void;
  store?: LaneStore;
  /** This process's name in the LaneStore. Default: a random id. */
  holder?: string;
  /** How long to wait before trying again when another holder has the session. Default 250 ms. */
  leaseRetryMs?: number;
  clock?: Clock;
}

export interface SubmitOptions {
  /** Overrides the default queue mode for this message (e.g. `chat.send {queueMode}`). */
  mode?: QueueMode;
  /** Timeout of the turn this message starts. */
  timeoutMs?: number;
  /** The id outcomes are reported under (e.g. the inbox record id). Default: a random id. */
  id?: string;
}

export interface LaneTicket<R> {
  id: string;
  sessionKey: string;
  /** False when the message was refused at once (lane full with drop 'new', or stopping). */
  accepted: boolean;
  /** Never rejects. */
  outcome: Promise<LaneOutcome<R>>;
}

export interface LaneStats {
  lanes: number;
  running: number;
  /** Waiting entries across all lanes (a folded entry counts once). */
  pending: number;
  /** The most runs ever at once (never above `maxConcurrent`). */
  maxRunning: number;
}

/** Settings `configure()` takes; undefined fields keep their value. */
export type LaneSettingsPatch = {
  [K in keyof QueueSettings]?: QueueSettings[K] | undefined;
} & { maxConcurrent?: number | undefined; timeoutMs?: number | undefined };

type LaneSettings = QueueSettings & { maxConcurrent: number; timeoutMs: number };

export const DEFAULT_SETTINGS: LaneSettings = {
  mode: 'followup',
  debounceMs: 0,
  cap: 20,
  drop: 'summarize',
  maxConcurrent: 4,
  timeoutMs: 600_000,
};

/** Apply a patch to the settings, or throw INVALID_LANE_OPTIONS saying what is wrong. */
export function mergeSettings(
  current: LaneSettings,
  patch: LaneSettingsPatch,
  hasFold: boolean,
): LaneSettings {
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
  const bad = (what: string) =>
    new CarapaceError('INVALID_LANE_OPTIONS', what, { details: { settings: patch } });
  if (!Number.isInteger(next.cap) || next.cap < 1) throw bad(`cap must be an integer ≥ 1, got ${next.cap}`);
  if (!(next.debounceMs >= 0)) throw bad(`debounceMs must be ≥ 0, got ${next.debounceMs}`);
  if (next.drop === 'summarize' && !hasFold) throw bad("drop 'summarize' needs a fold function");
  if (!(Number.isInteger(next.maxConcurrent) && next.maxConcurrent >= 1)) {
    throw bad(`maxConcurrent must be an integer ≥ 1, got ${next.maxConcurrent}`);
  }
  if (!(next.timeoutMs > 0)) throw bad(`timeoutMs must be > 0, got ${next.timeoutMs}`);
  return next;
}

// Internal state of the lane manager (not exported from index.ts).

export interface Ticket<R> {
  id: string;
  settle(outcome: LaneOutcome<R>): void;
}

/** A waiting message (or, after folding, several) with the tickets it answers. */
export interface Entry<M, R> {
  seq: number;
  mode: QueueMode;
  message: M;
  tickets: Ticket<R>[];
  timeoutMs: number | undefined;
}

export interface Run<M, R> {
  runId: string;
  lane: Lane<M, R>;
  controller: AbortController;
  entries: Entry<M, R>[];
  /** Steered entries with a higher seq arrived after this run started. */
  startSeq: number;
  startedAt: number;
  leased: boolean;
  finished: boolean;
  timers: Array<ReturnType<typeof setTimeout>>;
}

export interface Lane<M, R> {
  key: string;
  pending: Entry<M, R>[];
  active: Run<M, R> | undefined;
  lastArrival: number;
  debounce: ReturnType<typeof setTimeout> | undefined;
  retry: ReturnType<typeof setTimeout> | undefined;
  ready: boolean;
  /** Kept from starting (`LaneManager.hold`) until `resume`: its messages wait, holding no run slot. */
  held?: boolean;
}
