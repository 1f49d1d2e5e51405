import type { CronJob } from '../protocol/index.js';
import { backoffMs } from './jobs.js';
import { planSlot, type SlotPlan, type SlotSeries, slotSeries } from './schedule.js';

const NEG = Number.NEGATIVE_INFINITY;

/**
 * The jobs in memory with what decides their next slot: the high-water slot (the newest one started or
 * skipped by the schedule; nothing at or before it is planned again) and when the last run ended (for
 * backoff). Pure bookkeeping: no I/O, no timers.
 */
export class JobTable {
  readonly #jobs = new Map<string, CronJob>();
  readonly #highWater = new Map<string, number>();
  readonly #lastEnded = new Map<string, number>();
  readonly #series = new Map<string, { key: string; series: SlotSeries }>();

  get size(): number {
    return this.#jobs.size;
  }

  get(id: string): CronJob | undefined {
    return this.#jobs.get(id);
  }

  set(job: CronJob): void {
    this.#jobs.set(job.id, job);
  }

  values(): CronJob[] {
    return [...this.#jobs.values()];
  }

  /** Drop a job and everything known about it. */
  delete(id: string): void {
    this.#jobs.delete(id);
    this.#series.delete(id);
    this.#highWater.delete(id);
    this.#lastEnded.delete(id);
  }

  /** Seed what the run log says (at start). */
  setHistory(id: string, highWater: number | undefined, lastEndedAt: number | undefined): void {
    if (highWater !== undefined) this.#highWater.set(id, highWater);
    if (lastEndedAt !== undefined) this.#lastEnded.set(id, lastEndedAt);
  }

  /** Claim a slot for the schedule (synchronously, before any await). Returns the previous high water. */
  claim(id: string, scheduledAt: number): number | undefined {
    const prev = this.#highWater.get(id);
    this.#highWater.set(id, Math.max(prev ?? NEG, scheduledAt));
    return prev;
  }

  /** Undo a claim whose start could not be recorded. */
  release(id: string, prev: number | undefined): void {
    if (prev === undefined) this.#highWater.delete(id);
    else this.#highWater.set(id, prev);
  }

  ended(id: string, at: number): void {
    this.#lastEnded.set(id, at);
  }

  seriesOf(job: CronJob): SlotSeries {
    const key = `${JSON.stringify(job.schedule)}@${job.createdAtMs}`;
    const hit = this.#series.get(job.id);
    if (hit?.key === key) return hit.series;
    const series = slotSeries(job.schedule, job.createdAtMs);
    this.#series.set(job.id, { key, series });
    return series;
  }

  /**
   * Every slot at or before the floor is done or unwanted: the high water, and for repeating schedules
   * also the last change of the job (slots missed while it was disabled or had another schedule are not
   * caught up). A one-shot `at` has no floor until its slot ran, so an `at` in the past runs once.
   */
  floor(job: CronJob): number | undefined {
    const hw = this.#highWater.get(job.id);
    if (job.schedule.kind === 'at') return hw;
    return Math.max(hw ?? NEG, job.updatedAtMs);
  }

  /** Set `state.nextRunAtMs`: the next slot after the floor, pushed back by backoff after failures. */
  refresh(job: CronJob): void {
    let next = job.enabled ? this.seriesOf(job).after(this.floor(job) ?? NEG) : undefined;
    const ended = this.#lastEnded.get(job.id);
    if (next !== undefined && job.state.consecutiveErrors > 0 && ended !== undefined) {
      next = Math.max(next, ended + backoffMs(job.state.consecutiveErrors));
    }
    if (next === undefined) delete job.state.nextRunAtMs;
    else job.state.nextRunAtMs = next;
  }

  /** The slot to run now (the latest due one; earlier due ones are skipped), or undefined. */
  plan(job: CronJob, now: number): SlotPlan | undefined {
    return planSlot(this.seriesOf(job), this.floor(job), now);
  }

  /** Enabled jobs whose next run is due at `now`, earliest first. */
  due(now: number, skip: (id: string) => boolean): CronJob[] {
    return this.values()
      .filter((j) => j.enabled && !skip(j.id) && (j.state.nextRunAtMs ?? Number.POSITIVE_INFINITY) <= now)
      .sort((a, b) => (a.state.nextRunAtMs ?? 0) - (b.state.nextRunAtMs ?? 0));
  }

  /** The earliest next run after `now` among jobs not skipped, or undefined. */
  nextAfter(now: number, skip: (id: string) => boolean): number | undefined {
    let next: number | undefined;
    for (const j of this.#jobs.values()) {
      const at = j.state.nextRunAtMs;
      if (j.enabled && at !== undefined && at > now && !skip(j.id)) next = Math.min(next ?? at, at);
    }
    return next;
  }
}
