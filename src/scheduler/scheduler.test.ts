import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CronJobInput } from '../protocol/index.js';
import { deferred } from '../shared/index.js';
import { BACKOFF_BASE_MS } from './jobs.js';
import type { SchedulerOptions } from './options.js';
import type { TurnOutcome } from './ports.js';
import { Scheduler } from './scheduler.js';
import { FakeTime, RecordingPorts, tempCronDir, until } from './test-support.js';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const MIN = 60_000;

async function setup(opts: Partial<SchedulerOptions> = {}) {
  const cronDir = opts.cronDir ?? (await tempCronDir());
  const time = new FakeTime(T0);
  const ports = new RecordingPorts();
  const make = (o: Partial<SchedulerOptions> = {}) =>
    new Scheduler({ cronDir, ports, clock: time, timers: time, ...opts, ...o });
  const s = make();
  await s.start();
  const settle = () => until(() => s.status().running.length === 0);
  return { cronDir, time, ports, s, settle, make };
}

const reminder = (over: Partial<CronJobInput> = {}): CronJobInput => ({
  name: 'stretch',
  schedule: { kind: 'every', everyMs: MIN, anchorMs: T0 },
  payload: { kind: 'systemEvent', text: 'stand up' },
  ...over,
});

describe('Scheduler: schedules', () => {
  it('every: runs on anchor + k·every, each slot once, with events', async () => {
    const { s, time, ports, settle } = await setup();
    const job = await s.add(reminder());
    expect(job.state.nextRunAtMs).toBe(T0 + MIN);
    await time.advance(3 * MIN + 10, settle);
    const fin = ports.finished(job.id);
    expect(fin.map((e) => e.scheduledAt)).toEqual([T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
    expect(fin.every((e) => e.status === 'ok')).toBe(true);
    expect(ports.cron.map((e) => e.action).slice(0, 3)).toEqual(['added', 'started', 'finished']);
    expect(s.get(job.id).state).toMatchObject({
      lastRunStatus: 'ok',
      consecutiveErrors: 0,
      nextRunAtMs: T0 + 4 * MIN,
    });
    await s.stop();
  });

  it('at in the past runs once, then the one-shot is disabled', async () => {
    const { s, time, ports, settle, make } = await setup();
    const job = await s.add(
      reminder({ schedule: { kind: 'at', at: new Date(T0 - 3_600_000).toISOString() } }),
    );
    await time.advance(10, settle);
    expect(ports.finished(job.id)).toHaveLength(1);
    expect(s.get(job.id)).toMatchObject({ enabled: false, state: { lastRunStatus: 'ok' } });
    expect(s.get(job.id).state.nextRunAtMs).toBeUndefined();
    await time.advance(10 * MIN, settle);
    await s.stop();
    const again = make();
    await again.start();
    await time.advance(10 * MIN, () => until(() => again.status().running.length === 0));
    expect(ports.finished(job.id)).toHaveLength(1);
    await again.stop();
  });

  it('deleteAfterRun removes a one-shot and its run log after a successful run', async () => {
    const { s, time, ports, settle, cronDir } = await setup();
    const job = await s.add(
      reminder({ schedule: { kind: 'at', at: new Date(T0 + MIN).toISOString() }, deleteAfterRun: true }),
    );
    await time.advance(MIN, settle);
    expect(ports.finished(job.id)).toHaveLength(1);
    expect(s.list({ includeDisabled: true })).toEqual([]);
    expect(ports.cron.at(-1)).toMatchObject({ jobId: job.id, action: 'removed' });
    await expect(stat(join(cronDir, 'runs', `${job.id}.jsonl`))).rejects.toThrow();
    const stored = JSON.parse(await readFile(join(cronDir, 'jobs.json'), 'utf8'));
    expect(stored).toEqual({ version: 1, jobs: [] });
    await s.stop();
  });

  it('cron with a zone fires at the DST-adjusted instants', async () => {
    const start = Date.parse('2026-03-27T12:00:00Z');
    const cronDir = await tempCronDir();
    const time = new FakeTime(start);
    const ports = new RecordingPorts();
    const s = new Scheduler({ cronDir, ports, clock: time, timers: time, maxTimerMs: 86_400_000 });
    await s.start();
    const job = await s.add(
      reminder({ schedule: { kind: 'cron', expr: '30 2 * * *', tz: 'Europe/Berlin' } }),
    );
    await time.advance(3 * 86_400_000, () => until(() => s.status().running.length === 0));
    expect(ports.finished(job.id).map((e) => new Date(e.scheduledAt ?? 0).toISOString())).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    await s.stop();
  });
});

describe('Scheduler: failures and limits', () => {
  it('a failing job backs off 30 s, doubling, and records its error; success resets', async () => {
    const { s, time, ports, settle } = await setup();
    ports.reply = async () => ({ status: 'error', text: '', error: 'model down' });
    const job = await s.add({
      name: 'report',
      schedule: { kind: 'every', everyMs: 10_000, anchorMs: T0 },
      payload: { kind: 'agentTurn', message: 'write the report' },
    });
    await time.advance(10_000, settle);
    expect(s.get(job.id).state).toMatchObject({
      consecutiveErrors: 1,
      lastError: 'model down',
      lastRunStatus: 'error',
    });
    expect(s.get(job.id).state.nextRunAtMs).toBe(T0 + 10_000 + BACKOFF_BASE_MS);
    await time.advance(BACKOFF_BASE_MS, settle);
    expect(s.get(job.id).state.consecutiveErrors).toBe(2);
    expect(s.get(job.id).state.nextRunAtMs).toBe(T0 + 40_000 + 2 * BACKOFF_BASE_MS);
    ports.reply = async () => ({ status: 'ok', text: 'fine' });
    await time.advance(2 * BACKOFF_BASE_MS, settle);
    expect(s.get(job.id).state).toMatchObject({ consecutiveErrors: 0, lastRunStatus: 'ok' });
    expect(s.get(job.id).state.lastError).toBeUndefined();
    // While backing off, the slots it passed over were recorded as skipped, not lost.
    const runs = await s.runs(job.id, { limit: 100 });
    expect(runs.filter((r) => r.kind === 'skipped').reduce((n, r) => n + (r.count ?? 0), 0)).toBeGreaterThan(
      0,
    );
    await s.stop();
  });

  it('maxConcurrentRuns: due jobs wait for a free run', async () => {
    const { s, time, ports } = await setup({ maxConcurrentRuns: 1 });
    const gates: ((o: TurnOutcome) => void)[] = [];
    ports.reply = async (req) => {
      if (req.heartbeat) return { status: 'ok', text: 'NO_REPLY' };
      const d = deferred<TurnOutcome>();
      gates.push(d.resolve);
      return d.promise;
    };
    const isolated = (name: string): CronJobInput => ({
      name,
      schedule: { kind: 'at', at: new Date(T0 + MIN).toISOString() },
      payload: { kind: 'agentTurn', message: name },
    });
    const a = await s.add(isolated('a'));
    const b = await s.add(isolated('b'));
    await time.advance(MIN, async () => {});
    const cronTurns = () => ports.turns.filter((t) => !t.heartbeat).length;
    await until(() => cronTurns() === 1);
    expect(s.status().running).toHaveLength(1);
    gates[0]?.({ status: 'ok', text: 'first' });
    await until(() => cronTurns() === 2);
    expect(ports.finished()).toHaveLength(1);
    gates[1]?.({ status: 'ok', text: 'second' });
    await until(() => ports.finished().length === 2);
    expect(new Set(ports.finished().map((e) => e.jobId))).toEqual(new Set([a.id, b.id]));
    await s.stop();
  });
});

describe('Scheduler: routing through the ports', () => {
  it('systemEvent goes into the main session and wakes it now', async () => {
    const { s, time, ports, settle } = await setup();
    await s.add(reminder({ agentId: 'ops' }));
    await time.advance(MIN, settle);
    await until(() => ports.heartbeats.length === 1);
    expect(ports.systemEvents).toEqual([{ agentId: 'ops', sessionKey: 'agent:ops:main', text: 'stand up' }]);
    expect(ports.turns).toHaveLength(1);
    expect(ports.turns[0]).toMatchObject({ agentId: 'ops', sessionKey: 'agent:ops:main', heartbeat: true });
    await s.stop();
  });

  it('next-heartbeat waits for the agent’s heartbeat', async () => {
    const { s, time, ports, settle } = await setup({ heartbeats: { main: { everyMs: 30 * MIN } } });
    await s.add(reminder({ wakeMode: 'next-heartbeat' }));
    await time.advance(MIN, settle);
    expect(ports.systemEvents).toHaveLength(1);
    expect(ports.turns).toHaveLength(0);
    await time.advance(29 * MIN, settle);
    await until(() => ports.heartbeats.length === 1);
    expect(ports.turns.map((t) => t.heartbeat)).toEqual([true]);
    await s.stop();
  });

  it('agentTurn runs in cron:<jobId>, posts the result to main and delivers it', async () => {
    const { s, time, ports, settle } = await setup();
    ports.reply = async (req) => ({ status: 'ok', text: req.heartbeat ? 'NO_REPLY' : 'Weather: sunny' });
    const job = await s.add({
      name: 'weather',
      agentId: 'main',
      schedule: { kind: 'every', everyMs: MIN, anchorMs: T0 },
      wakeMode: 'next-heartbeat',
      payload: { kind: 'agentTurn', message: 'check the weather', model: 'fake/m', timeoutSeconds: 30 },
      delivery: { channel: 'telegram', to: '42' },
    });
    expect(job.sessionTarget).toBe('isolated');
    await time.advance(MIN, settle);
    expect(ports.turns[0]).toMatchObject({
      agentId: 'main',
      sessionKey: `cron:${job.id}`,
      message: 'check the weather',
      model: 'fake/m',
      timeoutMs: 30_000,
    });
    expect(ports.systemEvents).toEqual([
      { agentId: 'main', sessionKey: 'agent:main:main', text: '[cron] weather: Weather: sunny' },
    ]);
    expect(ports.deliveries).toEqual([{ channel: 'telegram', to: '42', text: 'Weather: sunny' }]);
    expect(ports.finished(job.id)[0]).toMatchObject({ status: 'ok', summary: 'Weather: sunny' });
    ports.deliverFails = true;
    await time.advance(MIN, settle);
    expect(ports.finished(job.id)[1]).toMatchObject({ status: 'error' });
    expect(ports.finished(job.id)[1]?.error).toMatch(/delivery to telegram:42 failed: channel down/);
    await s.update(job.id, { delivery: { channel: 'telegram', to: '42', bestEffort: true } });
    await time.advance(BACKOFF_BASE_MS + MIN, settle);
    expect(ports.finished(job.id)[2]).toMatchObject({ status: 'ok' });
    await s.stop();
  });

  it('a silent isolated reply posts and delivers nothing', async () => {
    const { s, time, ports, settle } = await setup();
    ports.reply = async () => ({ status: 'ok', text: 'NO_REPLY' });
    await s.add({
      name: 'quiet',
      schedule: { kind: 'every', everyMs: MIN, anchorMs: T0 },
      payload: { kind: 'agentTurn', message: 'check' },
      delivery: { channel: 'telegram', to: '42' },
    });
    await time.advance(MIN, settle);
    expect(ports.finished()[0]).toMatchObject({ status: 'ok' });
    expect(ports.systemEvents).toEqual([]);
    expect(ports.deliveries).toEqual([]);
    await s.stop();
  });
});

describe('Scheduler: management', () => {
  it('validation errors say what was wrong and how to fix it', async () => {
    const { s } = await setup({ agents: () => ({ defaultId: 'main', ids: ['main', 'ops'] }) });
    await expect(s.add(reminder({ sessionTarget: 'isolated' }))).rejects.toMatchObject({
      code: 'CRON_JOB_INVALID',
      message: expect.stringMatching(/sessionTarget 'isolated' takes a payload of kind 'agentTurn'/),
    });
    await expect(s.add(reminder({ agentId: 'ghost' }))).rejects.toMatchObject({
      code: 'UNKNOWN_AGENT_ID',
      message: expect.stringMatching(/'main', 'ops'/),
    });
    await expect(s.add(reminder({ schedule: { kind: 'cron', expr: '61 * * * *' } }))).rejects.toMatchObject({
      code: 'CRON_JOB_INVALID',
    });
    await expect(
      s.add(reminder({ schedule: { kind: 'cron', expr: '0 9 * * *', tz: 'Moon/Base' } })),
    ).rejects.toMatchObject({ code: 'CRON_JOB_INVALID', message: expect.stringMatching(/IANA/) });
    await expect(s.add(reminder({ delivery: { channel: 'x', to: 'y' } }))).rejects.toMatchObject({
      message: expect.stringMatching(/delivery needs an 'agentTurn'/),
    });
    expect(s.list({ includeDisabled: true })).toEqual([]);
    await s.stop();
  });

  it('update, list, status, run, runs and remove', async () => {
    const { s, time, ports, settle } = await setup();
    const job = await s.add(reminder());
    const other = await s.add(reminder({ name: 'later', enabled: false }));
    expect(s.list().map((j) => j.id)).toEqual([job.id]);
    expect(s.list({ includeDisabled: true })).toHaveLength(2);
    expect(s.status()).toMatchObject({ enabled: true, jobs: 2, running: [], nextWakeAtMs: T0 + MIN });

    expect(await s.run(job.id)).toEqual({ ran: false, reason: 'not-due' });
    const forced = await s.run(job.id, { force: true, wait: true });
    expect(forced).toMatchObject({ ran: true, status: 'ok' });
    const runs = await s.runs(job.id);
    expect(runs[0]).toMatchObject({ kind: 'run', trigger: 'manual', status: 'ok', scheduledAt: T0 });

    const moved = await s.update(job.id, { schedule: { kind: 'every', everyMs: 5 * MIN, anchorMs: T0 } });
    expect(moved.state.nextRunAtMs).toBe(T0 + 5 * MIN);
    await time.advance(5 * MIN, settle);
    expect(ports.finished(job.id).map((e) => e.scheduledAt)).toEqual([T0, T0 + 5 * MIN]);

    await s.remove(other.id);
    expect(ports.cron.at(-1)).toMatchObject({ jobId: other.id, action: 'removed' });
    await expect(s.remove(other.id)).rejects.toMatchObject({ code: 'CRON_JOB_NOT_FOUND' });
    await expect(s.runs('nope')).rejects.toMatchObject({ code: 'CRON_JOB_NOT_FOUND' });
    await s.stop();
  });

  it('cron.enabled false runs nothing until turned on', async () => {
    const { s, time, ports, settle } = await setup({ enabled: false });
    await s.add(reminder());
    await time.advance(5 * MIN, settle);
    expect(ports.cron.filter((e) => e.action === 'started')).toEqual([]);
    s.configure({ enabled: true });
    await time.advance(0, settle);
    // The slots missed while off are caught up by one run; the rest are recorded as skipped.
    expect(ports.finished().map((e) => e.scheduledAt)).toEqual([T0 + 5 * MIN]);
    await time.advance(MIN, settle);
    expect(ports.finished().map((e) => e.scheduledAt)).toEqual([T0 + 5 * MIN, T0 + 6 * MIN]);
    await s.stop();
  });
});
