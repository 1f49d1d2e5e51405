import { describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import { CRON_JOB_INVALID, formatEvery, parseAt, parseClock, parseEvery } from './parse.js';

function errorOf(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}

describe('parseEvery', () => {
  it('reads units, combinations and bare minutes', () => {
    expect(parseEvery('30m')).toBe(30 * 60_000);
    expect(parseEvery('2h')).toBe(7_200_000);
    expect(parseEvery('1d')).toBe(86_400_000);
    expect(parseEvery('45s')).toBe(45_000);
    expect(parseEvery('500ms')).toBe(500);
    expect(parseEvery('1h30m')).toBe(5_400_000);
    expect(parseEvery('1h 30m')).toBe(5_400_000);
    expect(parseEvery('1.5h')).toBe(5_400_000);
    expect(parseEvery(' 2H ')).toBe(7_200_000);
    expect(parseEvery('15')).toBe(15 * 60_000);
    expect(parseEvery('1w')).toBe(7 * 86_400_000);
  });

  it('refuses what is not a duration, saying how to write one', () => {
    for (const bad of ['', 'soon', '30x', 'm30', '-5m', '0m', '1h and 2m']) {
      const err = errorOf(() => parseEvery(bad));
      expect(isCarapaceError(err, CRON_JOB_INVALID)).toBe(true);
      expect(err.message).toMatch(/e\.g\./);
    }
  });

  it('formatEvery is the inverse for whole units', () => {
    expect(formatEvery(5_400_000)).toBe('1h30m');
    expect(formatEvery(60_000)).toBe('1m');
    expect(formatEvery(parseEvery('1d2h3m4s5ms'))).toBe('1d2h3m4s5ms');
  });
});

describe('parseAt', () => {
  it('reads a wall-clock time in the given zone, across DST', () => {
    expect(parseAt('2026-12-01T09:00', 'Europe/Berlin')).toBe(Date.parse('2026-12-01T08:00:00Z'));
    expect(parseAt('2026-07-01T09:00', 'Europe/Berlin')).toBe(Date.parse('2026-07-01T07:00:00Z'));
    expect(parseAt('2026-07-01 09:00:30', 'America/New_York')).toBe(Date.parse('2026-07-01T13:00:30Z'));
    expect(parseAt('2026-12-01', 'UTC')).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });

  it('an explicit offset wins over the zone', () => {
    expect(parseAt('2026-12-01T09:00Z', 'Europe/Berlin')).toBe(Date.parse('2026-12-01T09:00:00Z'));
    expect(parseAt('2026-12-01T09:00:00+02:00')).toBe(Date.parse('2026-12-01T07:00:00Z'));
  });

  it('reads relative times', () => {
    expect(parseAt('+20m', undefined, 1_000)).toBe(1_000 + 20 * 60_000);
    expect(parseAt('in 2h', undefined, 0)).toBe(7_200_000);
  });

  it('refuses bad times and zones with a fix', () => {
    const bad = errorOf(() => parseAt('tomorrow-ish'));
    expect(bad.code).toBe(CRON_JOB_INVALID);
    expect(bad.message).toMatch(/2026-12-01T09:00/);
    expect(errorOf(() => parseAt('2026-02-30T09:00', 'UTC')).code).toBe(CRON_JOB_INVALID);
    expect(errorOf(() => parseAt('2026-12-01T09:00', 'Mars/Olympus')).message).toMatch(/IANA/);
  });
});

describe('parseClock', () => {
  it('reads HH:MM and refuses nonsense', () => {
    expect(parseClock('08:30')).toBe(510);
    expect(parseClock('24:00')).toBe(1440);
    expect(errorOf(() => parseClock('25:00')).code).toBe(CRON_JOB_INVALID);
  });
});
