import { describe, expect, it } from 'vitest';
import { detectResetCommand, lastDailyBoundary, shouldReset } from './reset.js';

const utc = (s: string) => Date.parse(`${s}Z`);

describe('shouldReset', () => {
  const daily = { mode: 'daily', atHour: 4, timeZone: 'UTC' } as const;

  it('daily: resets a session last active before today’s boundary', () => {
    expect(shouldReset({ updatedAt: utc('2025-03-10T03:59:00') }, daily, utc('2025-03-10T04:00:00'))).toBe(
      'daily',
    );
    expect(
      shouldReset({ updatedAt: utc('2025-03-10T04:00:00') }, daily, utc('2025-03-10T23:00:00')),
    ).toBeUndefined();
  });

  it('daily: before the hour, the boundary is yesterday’s', () => {
    expect(
      shouldReset({ updatedAt: utc('2025-03-10T01:00:00') }, daily, utc('2025-03-10T03:00:00')),
    ).toBeUndefined();
    expect(shouldReset({ updatedAt: utc('2025-03-09T03:00:00') }, daily, utc('2025-03-10T03:00:00'))).toBe(
      'daily',
    );
  });

  it('daily: the hour is local to the time zone', () => {
    // 04:00 in Tokyo is 19:00 UTC the day before.
    const tokyo = { mode: 'daily', atHour: 4, timeZone: 'Asia/Tokyo' } as const;
    expect(lastDailyBoundary(utc('2025-03-10T12:00:00'), 4, 'Asia/Tokyo')).toBe(utc('2025-03-09T19:00:00'));
    expect(shouldReset({ updatedAt: utc('2025-03-09T18:59:00') }, tokyo, utc('2025-03-09T19:00:00'))).toBe(
      'daily',
    );
    // Across a DST change (New York, 2025-03-09 02:00 → 03:00): boundaries stay at 04:00 local.
    expect(lastDailyBoundary(utc('2025-03-09T12:00:00'), 4, 'America/New_York')).toBe(
      utc('2025-03-09T08:00:00'),
    );
    expect(lastDailyBoundary(utc('2025-03-09T07:00:00'), 4, 'America/New_York')).toBe(
      utc('2025-03-08T09:00:00'),
    );
  });

  it('idle: resets after idleMinutes of quiet, and applies alongside daily', () => {
    const idle = { mode: 'idle', idleMinutes: 30 } as const;
    const t = utc('2025-03-10T12:00:00');
    expect(shouldReset({ updatedAt: t - 29 * 60_000 }, idle, t)).toBeUndefined();
    expect(shouldReset({ updatedAt: t - 30 * 60_000 }, idle, t)).toBe('idle');
    expect(shouldReset({ updatedAt: t - 59 * 60_000 }, { mode: 'idle' }, t)).toBeUndefined();
    expect(shouldReset({ updatedAt: t - 60 * 60_000 }, { mode: 'idle' }, t)).toBe('idle');
    expect(shouldReset({ updatedAt: t - 45 * 60_000 }, { ...daily, idleMinutes: 30 }, t)).toBe('idle');
  });

  it('off: never', () => {
    expect(shouldReset({ updatedAt: 0 }, { mode: 'off' }, Date.now())).toBeUndefined();
  });
});

describe('detectResetCommand', () => {
  it.each([
    ['/new', { command: 'new', rest: '' }],
    ['/reset', { command: 'reset', rest: '' }],
    ['  /NEW let us talk about cats', { command: 'new', rest: 'let us talk about cats' }],
    ['/reset@CarapaceBot\nhello', { command: 'reset', rest: 'hello' }],
  ])('detects %j', (text, expected) => {
    expect(detectResetCommand(text)).toEqual(expected);
  });

  it.each(['/newer', 'please /new', 'new', '/resetting', ''])('ignores %j', (text) => {
    expect(detectResetCommand(text)).toBeUndefined();
  });
});
