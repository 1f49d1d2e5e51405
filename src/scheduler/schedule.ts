import { Cron } from 'croner';
import type { CronSchedule } from '../protocol/index.js';
import { CarapaceError } from '../shared/index.js';
import { CRON_JOB_INVALID, checkTimeZone } from './parse.js';

/** Counting skipped slots stops here; a range that long is recorded as "at least" this many. */
export const MAX_COUNTED_SLOTS = 100_000;

/**
 * The slots (instants) of a schedule. A slot is identified by its time; a job runs each slot at most once.
 * `at` has one slot; `every` has anchor + k·everyMs; `cron` follows croner (DST-aware with a zone).
 */
export interface SlotSeries {
  /** The first slot strictly after `t`, or undefined when there is none. */
  after(t: number): number | undefined;
  /** The last slot at or before `t`, or undefined. */
  atOrBefore(t: number): number | undefined;
}

/** Build the slot series of a schedule. `createdAtMs` anchors an `every` schedule without `anchorMs`. */
export function slotSeries(schedule: CronSchedule, createdAtMs: number): SlotSeries {
  switch (schedule.kind) {
    case 'at': {
      const at = Date.parse(schedule.at);
      return {
        after: (t) => (at > t ? at : undefined),
        atOrBefore: (t) => (at <= t ? at : undefined),
      };
    }
    case 'every': {
      const every = schedule.everyMs;
      const anchor = schedule.anchorMs ?? createdAtMs;
      return {
        after: (t) => (t < anchor ? anchor : anchor + (Math.floor((t - anchor) / every) + 1) * every),
        atOrBefore: (t) => (t < anchor ? undefined : anchor + Math.floor((t - anchor) / every) * every),
      };
    }
    case 'cron': {
      const cron = compileCron(schedule.expr, schedule.tz);
      return {
        after: (t) => cron.nextRun(new Date(t))?.getTime(),
        atOrBefore: (t) => cron.previousRuns(1, new Date(t + 1))[0]?.getTime(),
      };
    }
  }
}

/** Parse a 5- or 6-field cron expression (croner), with an optional IANA zone. */
export function compileCron(expr: string, tz?: string): Cron {
  if (tz) checkTimeZone(tz);
  try {
    return new Cron(expr, { mode: '5-or-6-parts', ...(tz ? { timezone: tz } : {}) });
  } catch (err) {
    throw new CarapaceError(
      CRON_JOB_INVALID,
      `invalid cron expression '${expr}': ${(err as Error).message.replace(/^CronPattern: /, '')}. Write 5 fields (minute hour day month weekday), e.g. '0 9 * * 1-5' for 09:00 on weekdays, or 6 with seconds first`,
      { details: { expr } },
    );
  }
}

/**
 * How many slots lie in [from, to) — at most MAX_COUNTED_SLOTS (then `capped`). `from` must be a slot.
 */
export function countSlots(series: SlotSeries, from: number, to: number): { count: number; capped: boolean } {
  let count = 0;
  for (let t: number | undefined = from; t !== undefined && t < to; t = series.after(t)) {
    if (++count >= MAX_COUNTED_SLOTS) return { count, capped: true };
  }
  return { count, capped: false };
}

/** The plan for a due job: the slot to run now and the earlier due slots that are skipped. */
export interface SlotPlan {
  scheduledAt: number;
  skipped?: { first: number; last: number; count: number; capped: boolean };
}

/**
 * Which slot of `series` to run at `now`, given that every slot at or before `floor` is done (or was
 * never wanted). Several due slots are caught up once: the latest runs, the rest are reported skipped.
 * Undefined when nothing is due.
 */
export function planSlot(series: SlotSeries, floor: number | undefined, now: number): SlotPlan | undefined {
  const first = floor === undefined ? series.atOrBefore(now) : series.after(floor);
  if (first === undefined || first > now) return undefined;
  const latest = series.atOrBefore(now);
  if (latest === undefined || latest <= first) return { scheduledAt: first };
  const { count, capped } = countSlots(series, first, latest);
  const last = capped ? latest : lastBefore(series, first, latest);
  return { scheduledAt: latest, skipped: { first, last, count, capped } };
}

function lastBefore(series: SlotSeries, first: number, latest: number): number {
  const prev = series.atOrBefore(latest - 1);
  return prev === undefined || prev < first ? first : prev;
}
