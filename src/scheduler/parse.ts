import { CarapaceError } from '../shared/index.js';

/** Error code of every schedule or job input that does not make sense; the message says how to fix it. */
export const CRON_JOB_INVALID = 'CRON_JOB_INVALID';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
};

function invalid(message: string, details: Record<string, unknown> = {}): CarapaceError {
  return new CarapaceError(CRON_JOB_INVALID, message, { details });
}

/**
 * Parse a human duration into milliseconds: `30m`, `2h`, `1d`, `45s`, `500ms`, `1h30m`, `1.5h`.
 * A bare number is minutes. Throws CRON_JOB_INVALID with an example when the text is not one.
 */
export function parseEvery(text: string): number {
  const src = String(text).trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(src)) return checkPositive(Number(src) * 60_000, text);
  const part = /(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|day|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = part.exec(src); m; m = part.exec(src)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    matched = part.lastIndex;
    while (src[matched] === ' ') matched++;
    part.lastIndex = matched;
  }
  if (src === '' || matched !== src.length) {
    throw invalid(
      `'${text}' is not a duration: write a number and a unit (ms, s, m, h, d, w), e.g. '30m', '2h', '1d' or '1h30m'`,
      { value: text },
    );
  }
  return checkPositive(total, text);
}

function checkPositive(ms: number, text: string): number {
  const rounded = Math.round(ms);
  if (!(rounded > 0) || !Number.isFinite(rounded)) {
    throw invalid(`'${text}' is not a positive duration: use at least 1ms, e.g. '30s'`, { value: text });
  }
  return rounded;
}

/** Parse `HH:MM` into minutes after midnight (24:00 is 1440). */
export function parseClock(text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const h = Number(m?.[1]);
  const min = Number(m?.[2]);
  if (!m || h > 24 || min > 59 || (h === 24 && min !== 0)) {
    throw invalid(`'${text}' is not a time of day: write HH:MM, e.g. '08:00' or '22:30'`, { value: text });
  }
  return h * 60 + min;
}

/** The parts of `ms` as a wall clock in `tz` (IANA), or the host's zone. */
export function wallClock(
  ms: number,
  tz?: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(ms))) parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Throw CRON_JOB_INVALID unless `tz` is an IANA zone this runtime knows. */
export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw invalid(`unknown time zone '${tz}': use an IANA name such as 'Europe/Berlin' or 'UTC'`, { tz });
  }
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

/**
 * Parse an `at` time into epoch ms. With a zone (`Z`, `+02:00`) the text is exact; without one it is a
 * wall-clock time in `tz` (default: the host's zone), e.g. `parseAt('2026-12-01T09:00', 'Europe/Berlin')`.
 * A date alone means midnight. Also accepts `+20m` / `in 2h` (relative to `nowMs`).
 */
export function parseAt(text: string, tz?: string, nowMs: number = Date.now()): number {
  const src = String(text).trim();
  const rel = /^(?:\+|in\s+)(.+)$/i.exec(src);
  if (rel) return nowMs + parseEvery(rel[1] as string);
  if (tz) checkTimeZone(tz);
  const local = LOCAL.exec(src);
  if (local) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = local;
    const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
    const ms = Number(frac.padEnd(3, '0'));
    const result = zonedToEpoch(fields, ms, tz);
    if (result !== undefined) return result;
  } else if (/^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:?\d{2})$/i.test(src)) {
    const ms = Date.parse(src);
    if (Number.isFinite(ms)) return ms;
  }
  throw invalid(
    `'${text}' is not a time: write an ISO time such as '2026-12-01T09:00' (in the job's zone), '2026-12-01T09:00Z', or a relative one such as '+20m'`,
    { value: text },
  );
}

/** Epoch ms of a wall-clock time in `tz`; undefined when the fields are out of range. */
function zonedToEpoch(
  f: readonly [number, number, number, number, number, number],
  ms: number,
  tz?: string,
): number | undefined {
  const [y, mo, d, h, mi, s] = f;
  const guess = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(guess);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  // Two passes find the offset in force at that wall time (the second fixes a guess across a DST change).
  let epoch = guess;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(epoch, tz);
    const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, ms);
    epoch += guess - asUtc;
  }
  return epoch;
}

/** `90000` → `1m30s`: the shortest exact text for a duration. */
export function formatEvery(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let rest = Math.max(0, Math.round(ms));
  let out = '';
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${u}`;
    rest -= n * size;
  }
  return out || '0ms';
}
