import type { QueueMode } from '../config/index.js';
import {
  CarapaceError,
  type Clock,
  deferred,
  errorMessage,
  isCarapaceError,
  shortId,
  systemClock,
} from '../shared/index.js';
import { dropAll, droppedOutcome, queueEntry } from './lane-queue.js';
import { createMemoryLaneStore, type LaneStore } from './lane-store.js';
import {
  DEFAULT_SETTINGS,
  type DropReason,
  type Entry,
  type Lane,
  type LaneJob,
  type LaneManagerOptions,
  type LaneOutcome,
  type LaneSettingsPatch,
  type LaneStats,
  type LaneTicket,
  mergeSettings,
  type QueueSettings,
  type Run,
  type SubmitOptions,
  type Ticket,
} from './lane-types.js';

const SHUTDOWN_TEXT = 'not run: the gateway is stopping (an inbox keeps it for the next start)';

function laneError(code: string, message: string): CarapaceError {
  return new CarapaceError(code, message);
}

/**
 * Session lanes: one run at a time per session key, at most `maxConcurrent` runs overall, queue modes,
 * debounce, a per-lane cap with an overflow policy, and a watchdog. Every submitted message gets exactly
 * one outcome. Lanes without work are deleted, so memory follows the work, not the number of sessions.
 */
export class LaneManager<M, R> {
  private readonly lanes = new Map<string, Lane<M, R>>();
  private readonly readyQueue = new Set<Lane<M, R>>();
  private readonly options: LaneManagerOptions<M, R>;
  private readonly store: LaneStore;
  private readonly holder: string;
  private readonly clock: Clock;
  private queue: QueueSettings;
  private maxConcurrent: number;
  private timeoutMs: number;
  private seq = 0;
  private running = 0;
  private maxRunning = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: LaneManagerOptions<M, R>) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? createMemoryLaneStore(this.clock);
    this.holder = options.holder ?? shortId();
    const { maxConcurrent, timeoutMs, ...queue } = DEFAULT_SETTINGS;
    this.queue = queue;
    this.maxConcurrent = maxConcurrent;
    this.timeoutMs = timeoutMs;
    this.configure({ ...options.queue, maxConcurrent: options.maxConcurrent, timeoutMs: options.timeoutMs });
  }

  /** Change queue settings, the concurrency cap or the timeout (hot reload). Throws INVALID_LANE_OPTIONS. */
  configure(settings: LaneSettingsPatch): void {
    const next = mergeSettings(
      { ...this.queue, maxConcurrent: this.maxConcurrent, timeoutMs: this.timeoutMs },
      settings,
      this.options.fold !== undefined,
    );
    const { maxConcurrent, timeoutMs, ...queue } = next;
    this.queue = queue;
    this.maxConcurrent = maxConcurrent;
    this.timeoutMs = timeoutMs;
    this.pump();
  }

  /** Queue a message for `sessionKey`. The outcome promise never rejects. */
  submit(sessionKey: string, message: M, options: SubmitOptions = {}): LaneTicket<R> {
    const id = options.id ?? shortId();
    const done = deferred<LaneOutcome<R>>();
    let settled = false;
    const ticket: Ticket<R> = {
      id,
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        done.resolve(outcome);
        this.report(id, sessionKey, outcome);
      },
    };
    const refuse = (reason: DropReason, text: string): LaneTicket<R> => {
      ticket.settle(droppedOutcome(reason, text));
      return { id, sessionKey, accepted: false, outcome: done.promise };
    };
    if (this.stopped) return refuse('shutdown', 'the lane manager is stopping');
    const lane = this.lane(sessionKey);
    const mode = options.mode ?? this.queue.mode;
    if (mode === 'interrupt') {
      dropAll(lane, 'superseded', 'superseded by a newer message (queue mode interrupt)');
      if (lane.active)
        this.abortRun(lane.active, laneError('RUN_INTERRUPTED', 'interrupted by a newer message'));
    }
    const entry: Entry<M, R> = {
      seq: ++this.seq,
      mode,
      message,
      tickets: [ticket],
      timeoutMs: options.timeoutMs,
    };
    const refused = queueEntry(lane, entry, this.queue, this.options.fold);
    if (refused) {
      const outcome = refuse(refused.reason, refused.text);
      this.schedule(lane);
      return outcome;
    }
    lane.lastArrival = this.clock.monotonic();
    this.schedule(lane);
    return { id, sessionKey, accepted: true, outcome: done.promise };
  }

  /** Abort the running turn of `sessionKey` (and drop its waiting messages with `clearPending`). */
  abort(sessionKey: string, options: { clearPending?: boolean } = {}) {
    const lane = this.lanes.get(sessionKey);
    const result = { aborted: false, runIds: [] as string[], dropped: 0 };
    if (!lane) return result;
    if (lane.active && !lane.active.controller.signal.aborted) {
      result.aborted = true;
      result.runIds.push(lane.active.runId);
      this.abortRun(lane.active, laneError('RUN_ABORTED', 'aborted on request'));
    }
    if (options.clearPending) result.dropped = dropAll(lane, 'aborted', 'dropped: the session was aborted');
    this.schedule(lane);
    return result;
  }

  /**
   * Keep `sessionKey` from starting a turn until `resume(sessionKey)`: its messages are queued as usual but
   * wait without a run slot or a watchdog. A turn already running goes on. `stop` drops what waits.
   */
  hold(sessionKey: string): void {
    this.lane(sessionKey).held = true;
  }

  /** Let a held session start turns again (no-op for a session not held). */
  resume(sessionKey: string): void {
    const lane = this.lanes.get(sessionKey);
    if (!lane?.held) return;
    lane.held = false;
    this.schedule(lane);
  }

  /** The running turn and queue length of one session, or undefined when it has no work. */
  laneInfo(sessionKey: string): { runId?: string; startedAt?: number; pending: number } | undefined {
    const lane = this.lanes.get(sessionKey);
    if (!lane) return undefined;
    const active = lane.active && { runId: lane.active.runId, startedAt: lane.active.startedAt };
    return { ...active, pending: lane.pending.length };
  }

  stats(): LaneStats {
    let pending = 0;
    for (const lane of this.lanes.values()) pending += lane.pending.length;
    return { lanes: this.lanes.size, running: this.running, pending, maxRunning: this.maxRunning };
  }

  /** Resolve when no lane has work. */
  idle(): Promise<void> {
    if (this.lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuse new messages, drop waiting ones (`shutdown`), abort running turns and wait for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.readyQueue.clear();
    for (const lane of [...this.lanes.values()]) {
      lane.ready = false;
      clearTimeout(lane.retry);
      lane.retry = undefined;
      if (lane.active) this.abortRun(lane.active, laneError('SHUTDOWN', 'the gateway is stopping'));
      this.schedule(lane);
    }
    await this.idle();
  }

  private lane(key: string): Lane<M, R> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = {
        key,
        pending: [],
        active: undefined,
        lastArrival: 0,
        debounce: undefined,
        retry: undefined,
        ready: false,
      };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Move a lane towards running: wait out the debounce, then join the queue for a run slot. */
  private schedule(lane: Lane<M, R>): void {
    if (lane.active || lane.ready || lane.retry || (lane.held && !this.stopped)) return;
    if (this.stopped) dropAll(lane, 'shutdown', SHUTDOWN_TEXT);
    if (lane.pending.length === 0) {
      clearTimeout(lane.debounce);
      lane.debounce = undefined;
      this.maybeDelete(lane);
      return;
    }
    const wait = lane.lastArrival + this.queue.debounceMs - this.clock.monotonic();
    if (wait > 0) {
      clearTimeout(lane.debounce);
      lane.debounce = setTimeout(() => {
        lane.debounce = undefined;
        this.schedule(lane);
      }, wait);
      return;
    }
    clearTimeout(lane.debounce);
    lane.debounce = undefined;
    lane.ready = true;
    this.readyQueue.add(lane);
    this.pump();
  }

  /** Start ready lanes while run slots are free, first come first served. */
  private pump(): void {
    while (this.running < this.maxConcurrent && this.readyQueue.size > 0) {
      const lane = this.readyQueue.values().next().value!;
      this.readyQueue.delete(lane);
      lane.ready = false;
      if (lane.active || lane.pending.length === 0) this.schedule(lane);
      else this.start(lane);
    }
  }

  private start(lane: Lane<M, R>): void {
    const first = lane.pending.shift()!;
    const entries = [first];
    const batches = (mode: QueueMode) => mode === 'collect' || mode === 'steer';
    if (batches(first.mode))
      while (lane.pending[0] && batches(lane.pending[0].mode)) entries.push(lane.pending.shift()!);
    const run: Run<M, R> = {
      runId: shortId(),
      lane,
      controller: new AbortController(),
      entries,
      startSeq: this.seq,
      startedAt: this.clock.now(),
      leased: false,
      finished: false,
      timers: [],
    };
    lane.active = run;
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const timeoutMs = first.timeoutMs ?? this.timeoutMs;
    const graceMs = this.options.abortGraceMs ?? 5_000;
    // The watchdog covers the whole turn, waiting for the lease included.
    run.timers.push(
      setTimeout(
        () => this.abortRun(run, laneError('RUN_TIMEOUT', `the run exceeded ${timeoutMs} ms`)),
        timeoutMs,
      ),
    );
    this.store.acquire(lane.key, this.holder, timeoutMs + graceMs + 1_000).then(
      (ok) => this.leased(run, ok),
      (err) => this.finish(run, this.failed(run, err)),
    );
  }

  private leased(run: Run<M, R>, ok: boolean): void {
    run.leased = ok;
    if (run.finished) {
      if (ok) void this.store.release(run.lane.key, this.holder).catch(() => undefined);
      return;
    }
    if (run.controller.signal.aborted) {
      this.finish(run, this.failed(run, run.controller.signal.reason));
      return;
    }
    if (!ok) {
      // Another gateway runs this session: put the turn back and try again shortly.
      run.finished = true;
      for (const timer of run.timers) clearTimeout(timer);
      run.lane.active = undefined;
      this.running--;
      run.lane.pending.unshift(...run.entries);
      run.lane.retry = setTimeout(() => {
        run.lane.retry = undefined;
        this.schedule(run.lane);
      }, this.options.leaseRetryMs ?? 250);
      this.pump();
      return;
    }
    const job: LaneJob<M> = {
      sessionKey: run.lane.key,
      runId: run.runId,
      messages: run.entries.map((e) => e.message),
      signal: run.controller.signal,
      takeSteered: () => this.takeSteered(run),
    };
    let result: Promise<R>;
    try {
      result = Promise.resolve(this.options.run(job));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => this.finish(run, { status: 'ok', runId: run.runId, result: value }),
      (err) => this.finish(run, this.failed(run, err)),
    );
  }

  private takeSteered(run: Run<M, R>): M[] {
    if (run.finished || run.controller.signal.aborted) return [];
    const taken: Entry<M, R>[] = [];
    run.lane.pending = run.lane.pending.filter((e) => {
      const steer = e.mode === 'steer' && e.seq > run.startSeq;
      if (steer) taken.push(e);
      return !steer;
    });
    run.entries.push(...taken);
    return taken.map((e) => e.message);
  }

  /** Abort a run; if it has not settled after the grace period, free its lane anyway. */
  private abortRun(run: Run<M, R>, reason: CarapaceError): void {
    if (run.finished || run.controller.signal.aborted) return;
    run.controller.abort(reason);
    const grace = this.options.abortGraceMs ?? 5_000;
    run.timers.push(setTimeout(() => this.finish(run, this.failed(run, reason)), grace));
  }

  /** The outcome of a run that threw (or was abandoned), preferring the abort reason when aborted. */
  private failed(run: Run<M, R>, err: unknown): LaneOutcome<R> {
    const signal = run.controller.signal;
    const cause = signal.aborted && isCarapaceError(signal.reason) ? signal.reason : err;
    if (isCarapaceError(cause, 'SHUTDOWN')) return droppedOutcome('shutdown', cause.message);
    const error = isCarapaceError(cause)
      ? cause
      : new CarapaceError('RUN_FAILED', `the run failed: ${errorMessage(cause)}`, { cause });
    return { status: 'error', runId: run.runId, error };
  }

  private finish(run: Run<M, R>, outcome: LaneOutcome<R>): void {
    if (run.finished) return;
    run.finished = true;
    for (const timer of run.timers) clearTimeout(timer);
    const lane = run.lane;
    if (lane.active === run) lane.active = undefined;
    this.running--;
    if (run.leased) void this.store.release(lane.key, this.holder).catch(() => undefined);
    for (const entry of run.entries) for (const ticket of entry.tickets) ticket.settle(outcome);
    this.schedule(lane);
    this.pump();
  }

  private maybeDelete(lane: Lane<M, R>): void {
    if (lane.active || lane.pending.length > 0 || lane.debounce || lane.retry || lane.ready) return;
    if (lane.held && !this.stopped) return;
    if (this.lanes.get(lane.key) === lane) this.lanes.delete(lane.key);
    if (this.lanes.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private report(id: string, sessionKey: string, outcome: LaneOutcome<R>): void {
    try {
      this.options.onOutcome?.({ id, sessionKey, outcome });
    } catch (err) {
      // A broken outcome handler is a bug in the caller: surface it loudly, outside the lane's bookkeeping.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
