import type {
  CronEvent,
  CronJob,
  CronJobInput,
  CronJobPatch,
  CronRunEntry,
  CronStatus,
  WakeParams,
} from '../protocol/index.js';
import {
  CarapaceError,
  type Clock,
  type Deferred,
  deferred,
  errorMessage,
  newId,
  systemClock,
} from '../shared/index.js';
import { type ExecOutcome, executeJob } from './execute.js';
import { Heartbeats } from './heartbeat.js';
import { HeartbeatBudget } from './heartbeat-budget.js';
import { type AgentDirectory, applyOutcome, CRON_JOB_NOT_FOUND, createJob, patchJob } from './jobs.js';
import type { RunResult, SchedulerOptions, SchedulerSettings } from './options.js';
import { systemTimers, type Timers } from './ports.js';
import { finishedEvent, outcomeOf, recoverJobs } from './recover.js';
import { type EndRecord, RunLog, type RunTrigger } from './run-log.js';
import type { SlotPlan } from './schedule.js';
import { JobStore } from './store.js';
import { JobTable } from './table.js';

interface Active {
  runId: string;
  controller: AbortController;
  started: Deferred<boolean>;
  done: Promise<ExecOutcome | undefined>;
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * Cron jobs and heartbeats. Each slot (jobId, scheduledAt) of a schedule runs at most once, across
 * restarts: the run log records (fsync) a run before it starts and when it ends; a run left open by a
 * crash is closed as `interrupted` at the next start, never repeated; slots missed while down are caught
 * up by one run and the rest recorded as skipped. Wall-clock jumps and a blocked event loop cannot
 * repeat a slot because no slot at or before the newest started one is ever planned again.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #store: JobStore;
  readonly #log: RunLog;
  readonly #heartbeats: Heartbeats;
  readonly #jobs = new JobTable();
  readonly #active = new Map<string, Active>();
  #timer: unknown;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #enabled: boolean;
  #max: number;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#enabled = options.enabled ?? true;
    this.#max = options.maxConcurrentRuns ?? 1;
    this.#store = new JobStore(options.cronDir, options.log);
    this.#log = new RunLog(options.cronDir, options.runLogMaxEntries ?? 500, options.log);
    this.#heartbeats = new Heartbeats({
      budget: new HeartbeatBudget(options.cronDir, options.log),
      ports: options.ports,
      clock: this.#clock,
      timers: this.#timers,
      maxTimerMs: options.maxTimerMs ?? 60_000,
      ...(options.log ? { log: options.log } : {}),
    });
    this.#heartbeats.configure(options.heartbeats ?? {});
  }

  /** Load jobs, close runs a crash left open (`interrupted`), start timers and heartbeats. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new CarapaceError('CRON_STATE', 'a Scheduler starts only once');
    const { dirty, deleted } = await recoverJobs(this.#jobs, this.#store, this.#log, this.#clock.now());
    if (dirty) await this.#save();
    for (const id of deleted) await this.#log.remove(id);
    await this.#heartbeats.load();
    this.#state = 'running';
    this.#heartbeats.start();
    this.#tick();
  }

  /** Stop timers, abort running jobs (recorded as `interrupted`) and heartbeats, and wait for them. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopped';
    this.#clearTimer();
    for (const a of this.#active.values()) a.controller.abort();
    const settled = Promise.all([...[...this.#active.values()].map((a) => a.done), this.#heartbeats.stop()]);
    const grace = deferred<void>();
    const handle = this.#timers.setTimeout(() => grace.resolve(), this.#o.stopGraceMs ?? 10_000);
    await Promise.race([settled, grace.promise]);
    this.#timers.clearTimeout(handle);
    await this.#store.save(() => this.#snapshot()).catch(() => undefined);
  }

  /** Apply changed settings (hot reload). */
  configure(settings: SchedulerSettings): void {
    if (settings.enabled !== undefined) this.#enabled = settings.enabled;
    if (settings.maxConcurrentRuns !== undefined) this.#max = settings.maxConcurrentRuns;
    if (settings.runLogMaxEntries !== undefined) this.#log.maxEntries = settings.runLogMaxEntries;
    if (settings.heartbeats !== undefined) this.#heartbeats.configure(settings.heartbeats);
    this.#tick();
  }

  /** Add a job (validated; errors say what to fix). A past `at` runs at once. */
  async add(input: CronJobInput): Promise<CronJob> {
    const job = createJob(input, this.#clock.now(), this.#o.agents?.());
    this.#jobs.refresh(job);
    this.#jobs.set(job);
    await this.#save().catch((err) => {
      this.#jobs.delete(job.id);
      throw err;
    });
    this.#emitChange(job, 'added');
    this.#tick();
    return clone(job);
  }

  /** Change a job. Slots missed before the change are not caught up. */
  async update(id: string, patch: CronJobPatch): Promise<CronJob> {
    const old = this.#get(id);
    const job = patchJob(old, patch, this.#clock.now(), this.#o.agents?.());
    this.#jobs.refresh(job);
    this.#jobs.set(job);
    await this.#save().catch((err) => {
      this.#jobs.set(old);
      throw err;
    });
    this.#emitChange(job, 'updated');
    this.#tick();
    return clone(job);
  }

  /** Remove a job (aborting its run, if any) and its run log. */
  async remove(id: string): Promise<void> {
    const job = this.#get(id);
    this.#jobs.delete(id);
    await this.#save().catch((err) => {
      this.#jobs.set(job);
      throw err;
    });
    const active = this.#active.get(id);
    active?.controller.abort();
    this.#emitChange(job, 'removed');
    await active?.done;
    await this.#log.remove(id);
  }

  /**
   * Run a job now. `force` runs it whatever its schedule (a `manual` run, beside the schedule's slots);
   * otherwise it runs only if due. Resolves once the run is recorded, or, with `wait`, when it ends.
   */
  async run(id: string, opts: { force?: boolean; wait?: boolean } = {}): Promise<RunResult> {
    const job = this.#get(id);
    if (this.#state !== 'running') return { ran: false, reason: 'stopped' };
    if (this.#active.has(id)) return { ran: false, reason: 'already-running' };
    const now = this.#clock.now();
    let plan: SlotPlan | undefined;
    if (opts.force) plan = { scheduledAt: now };
    else if (job.enabled && (job.state.nextRunAtMs ?? Number.POSITIVE_INFINITY) <= now) {
      plan = this.#jobs.plan(job, now);
    }
    if (!plan) return { ran: false, reason: 'not-due' };
    const active = this.#launch(job, plan, opts.force ? 'manual' : 'schedule');
    if (!(await active.started.promise)) return { ran: false, reason: 'not-recorded' };
    if (!opts.wait) return { ran: true, runId: active.runId };
    const outcome = await active.done;
    return { ran: true, runId: active.runId, ...(outcome ? { status: outcome.status } : {}) };
  }

  /** Jobs ordered by next run; disabled ones only with `includeDisabled`. */
  list(opts: { includeDisabled?: boolean; agentId?: string } = {}): CronJob[] {
    return this.#jobs
      .values()
      .filter((j) => opts.includeDisabled || j.enabled)
      .filter((j) => opts.agentId === undefined || this.#agentOf(j) === opts.agentId)
      .sort(
        (a, b) =>
          (a.state.nextRunAtMs ?? Number.POSITIVE_INFINITY) -
            (b.state.nextRunAtMs ?? Number.POSITIVE_INFINITY) || a.name.localeCompare(b.name),
      )
      .map(clone);
  }

  /** One job, or CRON_JOB_NOT_FOUND. */
  get(id: string): CronJob {
    return clone(this.#get(id));
  }

  /** The agent a job runs as (its `agentId`, else the default agent). */
  agentOf(job: CronJob): string {
    return this.#agentOf(job);
  }

  status(): CronStatus {
    const next = Math.min(...this.#jobs.values().map((j) => j.state.nextRunAtMs ?? Number.POSITIVE_INFINITY));
    const s: CronStatus = {
      enabled: this.#enabled,
      jobs: this.#jobs.size,
      running: [...this.#active.keys()],
      maxConcurrentRuns: this.#max,
    };
    if (Number.isFinite(next) && this.#enabled) s.nextWakeAtMs = next;
    return s;
  }

  /** A job's runs and skipped ranges, newest first. */
  async runs(id: string, opts: { limit?: number } = {}): Promise<CronRunEntry[]> {
    this.#get(id);
    return this.#log.entries(id, opts.limit ?? 50);
  }

  /** `wake`: queue a system event; `now` (or an agent without heartbeats) runs a heartbeat at once. */
  wake(params: WakeParams): Promise<void> {
    return this.#heartbeats.wake(params, this.#agents().defaultId);
  }

  /** Run the agent's heartbeat now (in its main session). */
  heartbeatNow(agentId: string): void {
    this.#heartbeats.requestNow(agentId, 'manual');
  }

  // ---- internals ----

  #agents(): AgentDirectory {
    return this.#o.agents?.() ?? { defaultId: 'main', ids: [] };
  }

  #agentOf(job: CronJob): string {
    return job.agentId ?? this.#agents().defaultId;
  }

  #get(id: string): CronJob {
    const job = this.#jobs.get(id);
    if (!job) {
      throw new CarapaceError(CRON_JOB_NOT_FOUND, `no cron job with id '${id}' (see cron.list)`, {
        details: { jobId: id },
      });
    }
    return job;
  }

  #snapshot(): CronJob[] {
    return this.#jobs.values();
  }

  #save(): Promise<void> {
    return this.#store.save(() => this.#snapshot());
  }

  #emitChange(job: CronJob, action: 'added' | 'updated' | 'removed'): void {
    const e: CronEvent = { jobId: job.id, action };
    if (action !== 'removed' && job.state.nextRunAtMs !== undefined) e.nextRunAtMs = job.state.nextRunAtMs;
    this.#o.ports.emit('cron', e);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Start what is due (up to the limit), then sleep until the next due time (at most maxTimerMs). */
  #tick(): void {
    if (this.#state !== 'running') return;
    this.#clearTimer();
    if (!this.#enabled) return;
    const now = this.#clock.now();
    const busy = (id: string) => this.#active.has(id);
    for (const job of this.#jobs.due(now, busy)) {
      if (this.#active.size >= this.#max) break;
      const plan = this.#jobs.plan(job, now);
      // No slot due although nextRunAtMs says so: the wall clock went back. Wait for the slot.
      if (plan) this.#launch(job, plan, 'schedule');
      else this.#jobs.refresh(job);
    }
    const maxWait = this.#o.maxTimerMs ?? 60_000;
    const next = this.#jobs.nextAfter(now, busy);
    const delay = next === undefined ? maxWait : Math.min(next - now, maxWait);
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, delay);
  }

  #launch(job: CronJob, plan: SlotPlan, trigger: RunTrigger): Active {
    // Claimed before any await: no other tick can plan this slot again.
    const prevHw = trigger === 'schedule' ? this.#jobs.claim(job.id, plan.scheduledAt) : undefined;
    const active: Active = {
      runId: newId(),
      controller: new AbortController(),
      started: deferred<boolean>(),
      done: Promise.resolve(undefined),
    };
    this.#active.set(job.id, active);
    active.done = this.#execute(job, plan, trigger, active, prevHw).finally(() => {
      this.#active.delete(job.id);
      this.#tick();
    });
    return active;
  }

  async #execute(
    job: CronJob,
    plan: SlotPlan,
    trigger: RunTrigger,
    active: Active,
    prevHw: number | undefined,
  ): Promise<ExecOutcome | undefined> {
    const startedAt = this.#clock.now();
    const base = { runId: active.runId, jobId: job.id, scheduledAt: plan.scheduledAt, trigger, startedAt };
    try {
      if (plan.skipped) {
        const { first, last, count, capped } = plan.skipped;
        await this.#log.append({
          type: 'skipped',
          jobId: job.id,
          scheduledAt: first,
          lastScheduledAt: last,
          count,
          ...(capped ? { capped } : {}),
          at: startedAt,
        });
      }
      await this.#log.append({ type: 'start', ...base });
    } catch (err) {
      await this.#notRecorded(job.id, trigger, prevHw, err);
      active.started.resolve(false);
      return undefined;
    }
    active.started.resolve(true);
    const { runId, scheduledAt } = base;
    this.#o.ports.emit('cron', { jobId: job.id, action: 'started', runId, scheduledAt });
    // Removed or stopped while the start was being recorded: close the run without doing it.
    const outcome: ExecOutcome = active.controller.signal.aborted
      ? { status: 'interrupted', error: 'stopped before the run began' }
      : await executeJob(job, {
          ports: this.#o.ports,
          heartbeats: this.#heartbeats,
          agentId: this.#agentOf(job),
          signal: active.controller.signal,
        });
    const end: EndRecord = { ...base, type: 'end', endedAt: this.#clock.now(), status: outcome.status };
    if (outcome.error !== undefined) end.error = outcome.error;
    if (outcome.summary !== undefined) end.summary = outcome.summary;
    await this.#log.append(end).catch((err) => this.#warn(`cron: could not record the end of ${runId}`, err));
    await this.#finish(end);
    return outcome;
  }

  /** Fold the end of a run into its job (if it still exists), persist, and tell clients. */
  async #finish(end: EndRecord): Promise<void> {
    this.#jobs.ended(end.jobId, end.endedAt);
    const job = this.#jobs.get(end.jobId);
    const deleted = job !== undefined && applyOutcome(job, outcomeOf(end)) === 'delete';
    if (job && deleted) this.#jobs.delete(job.id);
    else if (job) this.#jobs.refresh(job);
    if (job) await this.#save().catch((err) => this.#warn('cron: could not save jobs.json', err));
    this.#o.ports.emit('cron', finishedEvent(end, deleted ? undefined : job?.state.nextRunAtMs));
    if (job && deleted) {
      this.#emitChange(job, 'removed');
      await this.#log.remove(job.id).catch((err) => this.#warn('cron: could not remove a run log', err));
    }
  }

  /** The start could not be recorded, so the job did not run: the slot stays open and the job backs off. */
  async #notRecorded(
    id: string,
    trigger: RunTrigger,
    prevHw: number | undefined,
    err: unknown,
  ): Promise<void> {
    this.#warn(`cron: could not record a run of job ${id}; it did not run`, err);
    if (trigger === 'schedule') this.#jobs.release(id, prevHw);
    const job = this.#jobs.get(id);
    if (!job) return;
    job.state.consecutiveErrors += 1;
    job.state.lastError = `could not record the run: ${errorMessage(err)}`;
    this.#jobs.ended(id, this.#clock.now());
    this.#jobs.refresh(job);
    await this.#save().catch(() => undefined);
  }

  #warn(message: string, err: unknown): void {
    this.#o.log?.warn(message, { error: errorMessage(err) });
  }
}
