import { appendFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CronJobInput } from '../protocol/index.js';
import type { SchedulerOptions } from './options.js';
import type { TurnOutcome } from './ports.js';
import type { StartRecord } from './run-log.js';
import { Scheduler } from './scheduler.js';
import {
  checkExactlyOnce,
  FakeTime,
  RecordingPorts,
  readRunLogs as records,
  tempCronDir,
  until,
} from './test-support.js';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;

/**
 * One "process": its own timers (a crashed process's timers never fire again) on a shared wall clock.
 * `hang` makes cron turns never return, so a crash lands mid-run.
 */
async function boot(
  cronDir: string,
  wallMs: number,
  opts: Partial<SchedulerOptions> & { hang?: boolean } = {},
) {
  const time = new FakeTime(wallMs);
  const ports = new RecordingPorts();
  if (opts.hang)
    ports.reply = (req) =>
      req.heartbeat ? Promise.resolve({ status: 'ok', text: '' }) : new Promise<TurnOutcome>(() => {});
  const s = new Scheduler({ cronDir, ports, clock: time, timers: time, ...opts });
  await s.start();
  const settle = () => until(() => s.status().running.length === 0);
  return { s, time, ports, settle };
}

const everyMinute = (name: string): CronJobInput => ({
  name,
  schedule: { kind: 'every', everyMs: MIN, anchorMs: T0 },
  payload: { kind: 'agentTurn', message: name },
});

describe('exactly once across restarts (REL-07)', () => {
  it('a slot run before a restart is not run again after it', async () => {
    const dir = await tempCronDir();
    const a = await boot(dir, T0);
    const job = await a.s.add(everyMinute('tick'));
    await a.time.advance(2 * MIN, a.settle);
    await a.s.stop();
    const b = await boot(dir, a.time.now());
    await b.time.advance(MIN, b.settle);
    await b.s.stop();
    const starts = (await records(dir))
      .filter((r) => r.type === 'start')
      .map((r) => (r as StartRecord).scheduledAt);
    expect(starts).toEqual([T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
    expect(b.s.get(job.id).state.lastRunStatus).toBe('ok');
  });

  it('a run in progress at a crash is marked interrupted and not repeated', async () => {
    const dir = await tempCronDir();
    const a = await boot(dir, T0, { hang: true });
    const job = await a.s.add(everyMinute('slow'));
    await a.time.advance(MIN, async () => {});
    await until(() => a.ports.turns.length === 1);
    // crash: a's timers never fire again; its turn never returns.
    const b = await boot(dir, T0 + MIN + 500);
    expect(b.s.get(job.id).state).toMatchObject({ lastRunStatus: 'interrupted', nextRunAtMs: T0 + 2 * MIN });
    await b.time.advance(MIN, b.settle);
    expect(b.ports.turns.filter((t) => !t.heartbeat).map((t) => t.message)).toEqual(['slow']);
    const runs = await b.s.runs(job.id);
    expect(runs.map((r) => [r.scheduledAt, r.status])).toEqual([
      [T0 + 2 * MIN, 'ok'],
      [T0 + MIN, 'interrupted'],
    ]);
    await b.s.stop();
  });

  it('slots missed while down are caught up once and the rest recorded as skipped', async () => {
    const dir = await tempCronDir();
    const a = await boot(dir, T0);
    const job = await a.s.add(everyMinute('tick'));
    await a.time.advance(MIN, a.settle);
    await a.s.stop();
    const b = await boot(dir, T0 + HOUR + 30_000);
    await b.time.advance(0, b.settle);
    expect(b.ports.finished(job.id).map((e) => e.scheduledAt)).toEqual([T0 + HOUR]);
    const runs = await b.s.runs(job.id);
    expect(runs.find((r) => r.kind === 'skipped')).toMatchObject({
      scheduledAt: T0 + 2 * MIN,
      lastScheduledAt: T0 + HOUR - MIN,
      count: 58,
    });
    await b.time.advance(MIN, b.settle);
    expect(b.ports.finished(job.id).map((e) => e.scheduledAt)).toEqual([T0 + HOUR, T0 + HOUR + MIN]);
    await b.s.stop();
  });

  it('an end that jobs.json missed (crash between the writes) is taken from the run log', async () => {
    const dir = await tempCronDir();
    const a = await boot(dir, T0);
    const job = await a.s.add({
      ...everyMinute('once'),
      schedule: { kind: 'at', at: new Date(T0 + MIN).toISOString() },
    });
    await copyFile(join(dir, 'jobs.json'), join(dir, 'jobs.before'));
    await a.time.advance(MIN, a.settle);
    await a.s.stop();
    await copyFile(join(dir, 'jobs.before'), join(dir, 'jobs.json'));
    const b = await boot(dir, T0 + 2 * MIN);
    await b.time.advance(10 * MIN, b.settle);
    expect(b.ports.turns).toEqual([]);
    expect(b.s.get(job.id)).toMatchObject({ enabled: false, state: { lastRunStatus: 'ok' } });
    await b.s.stop();
  });

  it('a torn last line in a run log (crash mid-append) is dropped, not fatal', async () => {
    const dir = await tempCronDir();
    const a = await boot(dir, T0);
    const job = await a.s.add(everyMinute('tick'));
    await a.time.advance(MIN, a.settle);
    await a.s.stop();
    await appendFile(join(dir, 'runs', `${job.id}.jsonl`), '{"type":"start","runId":"x","jobId"');
    const b = await boot(dir, T0 + MIN + 10);
    await b.time.advance(MIN, b.settle);
    expect(b.ports.finished(job.id).map((e) => e.scheduledAt)).toEqual([T0 + 2 * MIN]);
    checkExactlyOnce(await records(dir));
    await b.s.stop();
  });
});

describe('clock jumps and a blocked event loop never duplicate a slot', () => {
  it('+1 h: one catch-up run; −10 min: no slot runs twice', async () => {
    const dir = await tempCronDir();
    const p = await boot(dir, T0);
    const job = await p.s.add(everyMinute('tick'));
    await p.time.advance(3 * MIN, p.settle);
    p.time.jump(HOUR);
    await p.time.advance(MIN, p.settle);
    const afterJump = p.ports.finished(job.id).map((e) => e.scheduledAt);
    expect(afterJump.slice(3)).toEqual([T0 + HOUR + 4 * MIN]);
    p.time.jump(-10 * MIN);
    await p.time.advance(15 * MIN, p.settle);
    const slots = p.ports.finished(job.id).map((e) => e.scheduledAt ?? 0);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots.every((t, i) => i === 0 || t > (slots[i - 1] ?? 0))).toBe(true);
    checkExactlyOnce(await records(dir));
    await p.s.stop();
  });

  it('a 30 s block of the event loop: the overdue slots run once', async () => {
    const dir = await tempCronDir();
    const p = await boot(dir, T0);
    const job = await p.s.add({
      ...everyMinute('fast'),
      schedule: { kind: 'every', everyMs: 10_000, anchorMs: T0 },
    });
    await p.time.advance(9_000, p.settle);
    p.time.block(30_000);
    await p.time.advance(0, p.settle);
    expect(p.ports.finished(job.id).map((e) => e.scheduledAt)).toEqual([T0 + 30_000]);
    const { skipped } = checkExactlyOnce(await records(dir));
    expect(skipped).toBe(2);
    await p.s.stop();
  });
});

describe('REL-07 battery (fake time)', () => {
  it('100 jobs through restarts before, during and after a slot, 5 quick restarts, jumps and a block', {
    timeout: 90_000,
  }, async () => {
    const dir = await tempCronDir();
    const opts = { maxConcurrentRuns: 8 };
    let p = await boot(dir, T0 + 55 * MIN, opts);
    const hourly = (i: number): CronJobInput => ({
      name: `hourly-${i}`,
      schedule: { kind: 'cron', expr: '0 * * * *', tz: 'UTC' },
      payload: { kind: 'agentTurn', message: `h${i}` },
    });
    const oneShot = (i: number): CronJobInput => ({
      name: `once-${i}`,
      schedule: { kind: 'at', at: new Date(T0 + HOUR + i * 7_000).toISOString() },
      payload: { kind: 'agentTurn', message: `o${i}` },
    });
    for (let i = 0; i < 40; i++) await p.s.add(everyMinute(`m${i}`));
    for (let i = 0; i < 40; i++) await p.s.add(hourly(i));
    for (let i = 0; i < 20; i++) await p.s.add(oneShot(i));
    const turns: string[] = [];
    const restart = async (atWall: number, o: { hang?: boolean } = {}) => {
      turns.push(...p.ports.turns.map((t) => t.sessionKey));
      p = await boot(dir, atWall, { ...opts, ...o });
    };
    await p.time.advance(4 * MIN + 55_000, p.settle); // to 5 s before the hourly boundary
    // Restart 5 s before the boundary into a process whose turns hang; it crashes 0.5 s after the
    // boundary with runs in progress; the next one starts 5 s after the boundary.
    await restart(p.time.now(), { hang: true });
    await p.time.advance(5_500, async () => {});
    await until(() => p.ports.turns.length >= 8);
    await restart(p.time.now() + 4_500);
    await p.time.advance(0, p.settle);
    for (let i = 0; i < 5; i++) {
      await p.time.advance(24_000, p.settle); // 5 restarts in 2 min
      await restart(p.time.now());
    }
    p.time.jump(HOUR);
    await p.time.advance(MIN, p.settle);
    p.time.jump(-10 * MIN);
    await p.time.advance(5 * MIN, p.settle);
    p.time.block(30_000);
    await p.time.advance(2 * MIN, p.settle);
    await p.s.stop();
    turns.push(...p.ports.turns.map((t) => t.sessionKey));

    const all = await records(dir);
    const { runs, interrupted } = checkExactlyOnce(all);
    expect(interrupted).toBeGreaterThanOrEqual(8);
    // At most one turn (one delivery) per recorded run, and each one-shot ran exactly once.
    expect(turns.filter((k) => k.startsWith('cron:')).length).toBeLessThanOrEqual(runs);
    const jobs = p.s.list({ includeDisabled: true });
    for (const j of jobs.filter((x) => x.schedule.kind === 'at')) {
      const st = all.filter((r) => r.type === 'start' && r.jobId === j.id);
      expect(st, j.name).toHaveLength(1);
    }
    expect(jobs).toHaveLength(100);
  });
});
