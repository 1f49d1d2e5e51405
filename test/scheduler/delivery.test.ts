/**
 * Cron results delivered to a channel: the Scheduler (fake clock) with the real ChannelManager and the
 * in-memory adapter, wired the way the gateway wires them (deliver → ChannelManager.send).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelManager, MemoryChannelAdapter } from '../../src/channels/index.js';
import { resolvePaths, validateConfig } from '../../src/config/index.js';
import type { CronEvent, CronJobInput } from '../../src/protocol/index.js';
import { Scheduler, type TurnOutcome, type TurnRequest } from '../../src/scheduler/index.js';
import { ManualTime, until } from './fake-time.js';

const T0 = Date.parse('2026-03-27T06:00:00Z'); // Friday 07:00 in Berlin (CET, UTC+1)
const HOUR = 3_600_000;

let dir: string;
let time: ManualTime;
let adapter: MemoryChannelAdapter;
let channels: ChannelManager;
let scheduler: Scheduler;
let turns: TurnRequest[];
let notes: { sessionKey: string; text: string }[];
let events: CronEvent[];
let replies: TurnOutcome[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-cron-delivery-'));
  time = new ManualTime(T0);
  turns = [];
  notes = [];
  events = [];
  replies = [];
  adapter = new MemoryChannelAdapter({ accounts: { default: {} }, now: () => time.now() });
  const r = validateConfig({});
  if (!r.ok) throw new Error('default config is invalid');
  const config = r.config;
  channels = new ChannelManager({
    config: () => config,
    paths: resolvePaths({ stateDir: dir }, {}),
    adapters: [adapter],
    clock: time,
    emit: () => {},
    sink: { submit: async () => ({ text: '' }) },
    sleep: async () => {},
  });
  await channels.start();
  scheduler = new Scheduler({
    cronDir: join(dir, 'cron'),
    clock: time,
    timers: time,
    ports: {
      runTurn: async (req) => {
        turns.push(req);
        // The main session is woken after each posted result; its heartbeat has nothing to say.
        if (req.heartbeat) return { status: 'ok', text: 'HEARTBEAT_OK' };
        return replies.shift() ?? { status: 'ok', text: 'NO_REPLY' };
      },
      systemEvent: (_agentId, sessionKey, text) => {
        notes.push({ sessionKey, text });
      },
      deliver: async (req) => {
        await channels.send({ ...req, idempotencyKey: `${req.channel}:${req.to}:${time.now()}` });
      },
      emit: (event, payload) => {
        if (event === 'cron') events.push(payload as CronEvent);
      },
    },
  });
  await scheduler.start();
});

afterEach(async () => {
  await scheduler.stop();
  await channels.stop();
  await rm(dir, { recursive: true, force: true });
});

const settle = () => until(() => scheduler.status().running.length === 0);
const finished = () => events.filter((e) => e.action === 'finished');

const report = (over: Partial<CronJobInput> = {}): CronJobInput => ({
  name: 'weather',
  schedule: { kind: 'every', everyMs: HOUR, anchorMs: T0 },
  payload: { kind: 'agentTurn', message: 'What is the weather?' },
  delivery: { channel: 'memory', to: 'owner', accountId: 'default' },
  ...over,
});

describe('isolated cron results on a channel (in-memory adapter)', () => {
  it('an agentTurn runs in cron:<id>, its reply is shown on the channel and noted in main', async () => {
    const job = await scheduler.add(report());
    replies.push({ status: 'ok', text: 'Sunny, 21 °C.' });
    await time.advance(HOUR, settle);
    expect(turns.map((t) => [t.sessionKey, t.heartbeat === true])).toEqual([
      [`cron:${job.id}`, false],
      ['agent:main:main', true],
    ]);
    expect(adapter.visible.map((m) => [m.accountId, m.to, m.text])).toEqual([
      ['default', 'owner', 'Sunny, 21 °C.'],
    ]);
    expect(notes).toEqual([{ sessionKey: 'agent:main:main', text: '[cron] weather: Sunny, 21 °C.' }]);
    expect(finished().map((e) => e.status)).toEqual(['ok']);

    // A silent reply delivers nothing.
    await time.advance(HOUR, settle);
    expect(adapter.visible).toHaveLength(1);
    expect(finished().map((e) => e.status)).toEqual(['ok', 'ok']);
  });

  it('a main-session systemEvent job delivers nothing to a channel', async () => {
    await scheduler.add({
      name: 'stretch',
      schedule: { kind: 'every', everyMs: HOUR, anchorMs: T0 },
      payload: { kind: 'systemEvent', text: 'stand up' },
    });
    await time.advance(HOUR, settle);
    expect(turns.map((t) => [t.sessionKey, t.heartbeat === true])).toEqual([['agent:main:main', true]]);
    expect(notes.map((n) => n.text)).toEqual(['stand up']);
    expect(adapter.visible).toEqual([]);
  });

  it('a refused send fails the run (and backs off) unless delivery is best effort', async () => {
    const job = await scheduler.add(report());
    adapter.failNext({ outcome: 'fatal' });
    replies.push({ status: 'ok', text: 'Rain.' });
    await time.advance(HOUR, settle);
    expect(adapter.visible).toEqual([]);
    expect(finished()[0]).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/delivery to memory:owner failed/),
    });
    expect(scheduler.get(job.id).state.consecutiveErrors).toBe(1);

    await scheduler.update(job.id, { delivery: { channel: 'memory', to: 'owner', bestEffort: true } });
    adapter.failNext({ outcome: 'fatal' });
    replies.push({ status: 'ok', text: 'Snow.' });
    await time.advance(HOUR, settle);
    expect(finished()[1]).toMatchObject({ status: 'ok' });
    expect(finished()[1]?.summary).toMatch(/Snow\. \(delivery to memory:owner failed/);
  });

  it('a weekday 09:00 Berlin job delivers at 08:00 UTC before the spring DST change and 07:00 UTC after it', async () => {
    // DST starts Sunday 2026-03-29 at 02:00 in Berlin (UTC+1 → UTC+2); the weekend has no slot.
    await scheduler.add(report({ schedule: { kind: 'cron', expr: '0 9 * * 1-5', tz: 'Europe/Berlin' } }));
    replies.push(
      { status: 'ok', text: 'Friday report' },
      { status: 'ok', text: 'Monday report' },
      { status: 'ok', text: 'Tuesday report' },
    );
    await time.advance(4 * 24 * HOUR + 2 * HOUR, settle);
    const runs = finished().map((e) => new Date(e.scheduledAt ?? 0).toISOString());
    expect(runs).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-03-31T07:00:00.000Z',
    ]);
    expect(adapter.visible.map((m) => m.text)).toEqual(['Friday report', 'Monday report', 'Tuesday report']);
  });
});
