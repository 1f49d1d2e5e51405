import { SILENT_REPLY } from '../agent/index.js';
import type { ActiveHours, HeartbeatConfig, HeartbeatTarget } from '../config/index.js';
import { parseClock, parseEvery, wallClock } from './parse.js';

/** One agent's resolved heartbeat. */
export interface HeartbeatSettings {
  everyMs: number;
  activeHours?: ActiveHours;
  prompt?: string;
  /** A model reference for heartbeat turns (a cheaper one); default the agent's. */
  model?: string;
  /** Where a reply that needs attention goes; default `last`. */
  target?: HeartbeatTarget;
  /** Tokens heartbeats may use per day (in the active hours' zone, else the host's); then they pause. */
  dailyTokenBudget?: number;
}

/** The reply with which a heartbeat says "nothing needs attention". */
export const HEARTBEAT_OK = 'HEARTBEAT_OK';

/** A reply that carries HEARTBEAT_OK at its start or end and is at most this long is an acknowledgement. */
export const HEARTBEAT_ACK_MAX_CHARS = 300;

/** The message of a heartbeat turn unless the config gives one. */
export const DEFAULT_HEARTBEAT_PROMPT = `Heartbeat. Follow the checks in HEARTBEAT.md (in your context) and handle any system events above. Do not repeat earlier tasks or invent new ones. If nothing needs attention, reply exactly ${HEARTBEAT_OK}.`;

/** The heartbeat of each agent from the `heartbeat` config section (agents whose `every` is 0 have none). */
export function resolveHeartbeats(
  config: HeartbeatConfig,
  agentIds: readonly string[],
): Record<string, HeartbeatSettings> {
  const out: Record<string, HeartbeatSettings> = {};
  for (const id of agentIds) {
    const own = config.agents[id] ?? {};
    const everyMs = /^0+[a-z]+$/.test(own.every ?? config.every) ? 0 : parseEvery(own.every ?? config.every);
    if (everyMs <= 0) continue;
    const s: HeartbeatSettings = { everyMs };
    const hours = own.activeHours ?? config.activeHours;
    if (hours) s.activeHours = hours;
    const prompt = own.prompt ?? config.prompt;
    if (prompt) s.prompt = prompt;
    const model = own.model ?? config.model;
    if (model) s.model = model;
    const target = own.target ?? config.target;
    if (target) s.target = target;
    const budget = own.dailyTokenBudget ?? config.dailyTokenBudget;
    if (budget !== undefined) s.dailyTokenBudget = budget;
    out[id] = s;
  }
  return out;
}

/** True when `now` falls in the active hours (start ≤ t < end; an end before the start wraps midnight). */
export function inActiveHours(hours: ActiveHours, nowMs: number): boolean {
  const start = parseClock(hours.start);
  const end = parseClock(hours.end);
  if (start === end) return true;
  const w = wallClock(nowMs, hours.timezone);
  const t = w.hour * 60 + w.minute;
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** True when HEARTBEAT.md asks for nothing: only blank lines, headings and HTML comments. */
export function heartbeatFileIsEmpty(text: string | undefined): boolean {
  if (text === undefined) return true;
  const stripped = text.replace(/<!--[\s\S]*?(-->|$)/g, '');
  return stripped.split('\n').every((line) => /^\s*(#.*)?$/.test(line) || /^\s*[-*]\s*$/.test(line));
}

/** Markdown emphasis and trailing punctuation a model may put around the token. */
const DECORATION = /^[\s*_`~>]+|[\s*_`~.!]+$/g;

/**
 * True when a heartbeat reply needs no one's attention: empty, NO_REPLY, exactly HEARTBEAT_OK, or a
 * short reply (≤ 300 characters) that ends with HEARTBEAT_OK.
 */
export function isHeartbeatAck(text: string): boolean {
  const t = text.trim();
  if (t === '' || t === SILENT_REPLY) return true;
  const bare = t.replace(DECORATION, '');
  if (bare === HEARTBEAT_OK) return true;
  return t.length <= HEARTBEAT_ACK_MAX_CHARS && bare.endsWith(HEARTBEAT_OK);
}

/** A heartbeat reply as it is delivered: a stray HEARTBEAT_OK at either end is removed. */
export function heartbeatDeliveryText(text: string): string {
  const t = text.trim();
  const bare = t.replace(DECORATION, '');
  if (bare.startsWith(HEARTBEAT_OK)) return bare.slice(HEARTBEAT_OK.length).trim() || t;
  if (bare.endsWith(HEARTBEAT_OK)) return bare.slice(0, -HEARTBEAT_OK.length).trim() || t;
  return t;
}

/** The calendar day of `nowMs` (YYYY-MM-DD) in `tz`, or the host's zone. */
export function dayOf(nowMs: number, tz?: string): string {
  const w = wallClock(nowMs, tz);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}
