/**
 * When a session key moves on to a fresh session: on `/new` or `/reset`, daily at an hour, or after
 * being idle. Pure functions of an entry, a policy and the time; the caller calls the store's reset.
 */

/** `config.session.reset` satisfies it. */
export interface ResetPolicy {
  mode: 'daily' | 'idle' | 'off';
  /** Local hour (0–23) of the daily reset. Default 4. */
  atHour?: number;
  /** Idle minutes before a reset. With mode `daily` it applies too (whichever comes first); default 60 for mode `idle`. */
  idleMinutes?: number | undefined;
  /** IANA time zone of `atHour`. Default: the host's. */
  timeZone?: string;
}

export type ResetReason = 'daily' | 'idle';

/** Default idle minutes when mode is `idle` and no `idleMinutes` is given. */
export const DEFAULT_IDLE_MINUTES = 60;

const HOUR = 60 * 60 * 1000;

/** Formatters by time zone: building one costs far more than using it (a pure memo, bounded). */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of `ms` in `timeZone` (or the host's zone). */
function wallClock(ms: number, timeZone: string | undefined) {
  if (timeZone === undefined) {
    const d = new Date(ms);
    return { y: d.getFullYear(), m: d.getMonth(), d: d.getDate(), h: d.getHours(), min: d.getMinutes() };
  }
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    if (formatters.size >= 32) formatters.clear();
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(ms);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: get('year'), m: get('month') - 1, d: get('day'), h: get('hour'), min: get('minute') };
}

/** The epoch ms of wall-clock `y-m-d h:00` in `timeZone`, found by correcting the zone offset twice (DST-safe). */
function atWallClock(y: number, m: number, d: number, h: number, timeZone: string | undefined): number {
  if (timeZone === undefined) return new Date(y, m, d, h).getTime();
  const target = Date.UTC(y, m, d, h);
  let guess = target;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(guess, timeZone);
    guess += target - Date.UTC(w.y, w.m, w.d, w.h, w.min);
  }
  return guess;
}

/** The most recent daily reset boundary at or before `now`. */
export function lastDailyBoundary(now: number, atHour: number, timeZone?: string): number {
  const w = wallClock(now, timeZone);
  const today = atWallClock(w.y, w.m, w.d, atHour, timeZone);
  if (today <= now) return today;
  // Yesterday's boundary: step back a day in wall-clock terms, not 24 h (DST days are 23 or 25 h).
  const y = wallClock(today - 12 * HOUR - atHour * HOUR, timeZone);
  return atWallClock(y.y, y.m, y.d, atHour, timeZone);
}

/**
 * Whether a session last active at `entry.updatedAt` must start fresh at `now`, and why. Daily: it was
 * last active before the latest boundary. Idle: it was quiet for `idleMinutes` or more.
 */
export function shouldReset(
  entry: { updatedAt: number },
  policy: ResetPolicy,
  now: number,
): ResetReason | undefined {
  if (policy.mode === 'off') return undefined;
  const idleMinutes = policy.idleMinutes ?? (policy.mode === 'idle' ? DEFAULT_IDLE_MINUTES : undefined);
  if (
    policy.mode === 'daily' &&
    entry.updatedAt < lastDailyBoundary(now, policy.atHour ?? 4, policy.timeZone)
  ) {
    return 'daily';
  }
  if (idleMinutes !== undefined && now - entry.updatedAt >= idleMinutes * 60_000) return 'idle';
  return undefined;
}

/** A reset command at the start of a message, and the text after it (the first message of the new session). */
export interface ResetCommand {
  command: 'new' | 'reset';
  rest: string;
}

const RESET_COMMAND = /^\/(new|reset)(?:@[A-Za-z0-9_]+)?(?=\s|$)\s*([\s\S]*)$/i;

/** Detect `/new` or `/reset` (also `/reset@BotName`, any case) at the start of `text`. */
export function detectResetCommand(text: string): ResetCommand | undefined {
  const m = RESET_COMMAND.exec(text.trimStart());
  if (!m) return undefined;
  return { command: m[1]!.toLowerCase() as 'new' | 'reset', rest: (m[2] ?? '').trim() };
}
