/**
 * Test support for the scheduler's tests (not exported by index.ts): fake time (a wall clock that can
 * jump, monotonic timers that fire only when advanced) and recording ports.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CronEvent, HeartbeatEvent } from '../protocol/index.js';
import type { Clock } from '../shared/index.js';
import type {
  DeliveryRequest,
  DeliveryTarget,
  SchedulerPorts,
  Timers,
  TurnOutcome,
  TurnRequest,
} from './ports.js';
import type { EndRecord, RunRecord, SkippedRecord, StartRecord } from './run-log.js';

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Wall clock = monotonic + offset. `advance` moves both and fires due timers in order. */
export class FakeTime implements Clock, Timers {
  #mono = 0;
  #offset: number;
  #seq = 0;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(startWallMs: number) {
    this.#offset = startWallMs;
  }

  now(): number {
    return this.#mono + this.#offset;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#mono + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Set the wall clock forward or back without any timer noticing (NTP step, manual change). */
  jump(ms: number): void {
    this.#offset += ms;
  }

  /** Time passes but no timer fires (a blocked event loop); the next `advance` fires the overdue ones. */
  block(ms: number): void {
    this.#mono += ms;
  }

  /** Pending timers (for asserting that nothing spins). */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Move time forward by `ms`, firing each due timer at its time and awaiting `settle()` after each
   * (so the async work a timer starts finishes before time moves on).
   */
  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const target = this.#mono + ms;
    for (;;) {
      await settle();
      let next: FakeTimer | undefined;
      for (const t of this.#timers.values()) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.#timers.delete(next.seq);
      this.#mono = Math.max(this.#mono, next.at);
      next.fn();
    }
    this.#mono = target;
    await settle();
  }
}

/** A temp dir for one test's state. */
export function tempCronDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'carapace-cron-'));
}

/** Ports that record every call; `runTurn` answers with `reply` (replace it per test). */
export class RecordingPorts implements SchedulerPorts {
  readonly turns: TurnRequest[] = [];
  readonly systemEvents: { agentId: string; sessionKey: string; text: string }[] = [];
  readonly deliveries: DeliveryRequest[] = [];
  readonly cron: CronEvent[] = [];
  readonly heartbeats: HeartbeatEvent[] = [];
  reply: (req: TurnRequest) => Promise<TurnOutcome> = async () => ({ status: 'ok', text: 'done' });
  deliverFails = false;
  heartbeatFile?: (agentId: string) => Promise<string | undefined>;
  lastTarget?: (agentId: string) => Promise<DeliveryTarget | undefined>;

  runTurn(req: TurnRequest): Promise<TurnOutcome> {
    this.turns.push(req);
    return this.reply(req);
  }

  systemEvent(agentId: string, sessionKey: string, text: string): void {
    this.systemEvents.push({ agentId, sessionKey, text });
  }

  async deliver(req: DeliveryRequest): Promise<void> {
    this.deliveries.push(req);
    if (this.deliverFails) throw new Error('channel down');
  }

  emit(event: 'cron' | 'heartbeat', payload: CronEvent | HeartbeatEvent): void {
    if (event === 'cron') this.cron.push(payload as CronEvent);
    else this.heartbeats.push(payload as HeartbeatEvent);
  }

  /** The `finished` cron events. */
  finished(jobId?: string): CronEvent[] {
    return this.cron.filter((e) => e.action === 'finished' && (jobId === undefined || e.jobId === jobId));
  }
}

/** Poll real time until `cond` holds (for async file I/O to finish); throws after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setImmediate(r));
}

/** Every record of every run log under `cronDir`. */
export async function readRunLogs(cronDir: string): Promise<RunRecord[]> {
  const dir = join(cronDir, 'runs');
  const out: RunRecord[] = [];
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const text = await readFile(join(dir, f), 'utf8');
    for (const line of text.split('\n').filter(Boolean)) out.push(JSON.parse(line) as RunRecord);
  }
  return out;
}

/** The REL-07 invariants over every run log: one start per scheduled slot, one end per start, no overlap. */
export function checkExactlyOnce(all: RunRecord[]): { runs: number; interrupted: number; skipped: number } {
  const starts = all.filter((r): r is StartRecord => r.type === 'start');
  const ends = all.filter((r): r is EndRecord => r.type === 'end');
  const skipped = all.filter((r): r is SkippedRecord => r.type === 'skipped');
  const slots = starts.filter((r) => r.trigger === 'schedule').map((r) => `${r.jobId}@${r.scheduledAt}`);
  expect(new Set(slots).size).toBe(slots.length);
  const endsByRun = new Map<string, number>();
  for (const e of ends) endsByRun.set(e.runId, (endsByRun.get(e.runId) ?? 0) + 1);
  for (const st of starts) expect(endsByRun.get(st.runId), `run ${st.runId} ends once`).toBe(1);
  for (const k of skipped) {
    const inside = starts.filter(
      (st) =>
        st.jobId === k.jobId &&
        st.trigger === 'schedule' &&
        st.scheduledAt >= k.scheduledAt &&
        st.scheduledAt <= k.lastScheduledAt,
    );
    expect(inside, 'a skipped range holds no run').toEqual([]);
  }
  return {
    runs: starts.length,
    interrupted: ends.filter((e) => e.status === 'interrupted').length,
    skipped: skipped.reduce((n, k) => n + k.count, 0),
  };
}
