import { describe, expect, it } from 'vitest';
import { CRON_JOB_INVALID } from './parse.js';
import { compileCron, planSlot, slotSeries } from './schedule.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('slot series', () => {
  it('every: slots sit on anchor + k·every, before and after the anchor', () => {
    const s = slotSeries({ kind: 'every', everyMs: 1000, anchorMs: 10_500 }, 0);
    expect(s.after(0)).toBe(10_500);
    expect(s.after(10_500)).toBe(11_500);
    expect(s.after(12_000)).toBe(12_500);
    expect(s.atOrBefore(12_499)).toBe(11_500);
    expect(s.atOrBefore(10_000)).toBeUndefined();
  });

  it('every without an anchor is anchored at creation', () => {
    const s = slotSeries({ kind: 'every', everyMs: 60_000 }, 5_000);
    expect(s.after(5_000)).toBe(65_000);
  });

  it('at has a single slot', () => {
    const s = slotSeries({ kind: 'at', at: '2026-01-01T00:00:00.000Z' }, 0);
    const at = Date.parse('2026-01-01T00:00:00Z');
    expect(s.after(at - 1)).toBe(at);
    expect(s.after(at)).toBeUndefined();
    expect(s.atOrBefore(at + 10)).toBe(at);
  });

  it('cron with a zone follows DST: a skipped 02:30 runs at 03:00, a repeated one runs once', () => {
    const s = slotSeries({ kind: 'cron', expr: '30 2 * * *', tz: 'Europe/Berlin' }, 0);
    const runs: (string | undefined)[] = [];
    let t = Date.parse('2026-03-27T12:00:00Z');
    for (let i = 0; i < 3; i++) {
      t = s.after(t) as number;
      runs.push(iso(t));
    }
    expect(runs).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    const fall: (string | undefined)[] = [];
    t = Date.parse('2026-10-24T12:00:00Z');
    for (let i = 0; i < 2; i++) {
      t = s.after(t) as number;
      fall.push(iso(t));
    }
    expect(fall).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('six fields mean seconds; bad expressions say how to write one', () => {
    const s = slotSeries({ kind: 'cron', expr: '*/10 * * * * *' }, 0);
    expect(s.after(Date.parse('2026-01-01T00:00:05Z'))).toBe(Date.parse('2026-01-01T00:00:10Z'));
    try {
      compileCron('every day at nine');
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe(CRON_JOB_INVALID);
      expect((err as Error).message).toMatch(/0 9 \* \* 1-5/);
    }
  });
});

describe('planSlot', () => {
  const hourly = slotSeries({ kind: 'cron', expr: '0 * * * *', tz: 'UTC' }, 0);
  const h = (n: number) => Date.parse('2026-01-01T00:00:00Z') + n * 3_600_000;

  it('nothing is due before the first slot after the floor', () => {
    expect(planSlot(hourly, h(1), h(2) - 1)).toBeUndefined();
  });

  it('one due slot runs as it is', () => {
    expect(planSlot(hourly, h(1), h(2) + 500)).toEqual({ scheduledAt: h(2) });
  });

  it('many due slots: the latest runs, the others are one skipped range', () => {
    expect(planSlot(hourly, h(1), h(6) + 10)).toEqual({
      scheduledAt: h(6),
      skipped: { first: h(2), last: h(5), count: 4, capped: false },
    });
  });

  it('a one-shot without floor is due once its time has come', () => {
    const at = slotSeries({ kind: 'at', at: new Date(h(3)).toISOString() }, 0);
    expect(planSlot(at, undefined, h(2))).toBeUndefined();
    expect(planSlot(at, undefined, h(9))).toEqual({ scheduledAt: h(3) });
    expect(planSlot(at, h(3), h(9))).toBeUndefined();
  });
});
