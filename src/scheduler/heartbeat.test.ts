import { describe, expect, it } from 'vitest';
import type { HeartbeatConfig } from '../config/index.js';
import { deferred } from '../shared/index.js';
import { heartbeatFileIsEmpty, inActiveHours, resolveHeartbeats } from './heartbeat-settings.js';
import type { SchedulerOptions } from './options.js';
import type { TurnOutcome } from './ports.js';
import { Scheduler } from './scheduler.js';
import { FakeTime, RecordingPorts, tempCronDir, until } from './test-support.js';

const T0 = Date.parse('2026-06-01T10:00:00Z'); // 12:00 in Berlin
const MIN = 60_000;

async function setup(opts: Partial<SchedulerOptions> = {}, ports = new RecordingPorts()) {
  const time = new FakeTime(T0);
  const s = new Scheduler({ cronDir: await tempCronDir(), ports, clock: time, timers: time, ...opts });
  await s.start();
  const settle = async () => {};
  return { s, time, ports, settle };
}

describe('heartbeat settings', () => {
  it('resolves per-agent overrides over the defaults; 0m turns one off', () => {
    const config: HeartbeatConfig = {
      every: '30m',
      prompt: 'check in',
      agents: { ops: { every: '5m', activeHours: { start: '08:00', end: '18:00' } }, quiet: { every: '0m' } },
    };
    expect(resolveHeartbeats(config, ['main', 'ops', 'quiet'])).toEqual({
      main: { everyMs: 30 * MIN, prompt: 'check in' },
      ops: { everyMs: 5 * MIN, prompt: 'check in', activeHours: { start: '08:00', end: '18:00' } },
    });
  });

  it('active hours, same day and overnight, in a zone', () => {
    const day = { start: '08:00', end: '18:00', timezone: 'Europe/Berlin' };
    expect(inActiveHours(day, T0)).toBe(true);
    expect(inActiveHours(day, T0 + 7 * 60 * MIN)).toBe(false); // 19:00 Berlin
    const night = { start: '22:00', end: '06:00', timezone: 'Europe/Berlin' };
    expect(inActiveHours(night, T0)).toBe(false);
    expect(inActiveHours(night, T0 + 11 * 60 * MIN)).toBe(true); // 23:00 Berlin
  });

  it('HEARTBEAT.md with only comments and headings asks for nothing', () => {
    expect(heartbeatFileIsEmpty('# Heartbeat\n\n<!--\n- example\n-->\n')).toBe(true);
    expect(heartbeatFileIsEmpty(undefined)).toBe(true);
    expect(heartbeatFileIsEmpty('# Heartbeat\n- check the mail\n')).toBe(false);
  });
});

describe('heartbeats', () => {
  it('run every interval in the main session with heartbeat: true', async () => {
    const { s, time, ports, settle } = await setup({
      heartbeats: { main: { everyMs: 30 * MIN, prompt: 'beat' } },
    });
    await time.advance(30 * MIN, settle);
    await until(() => ports.heartbeats.length === 1);
    await time.advance(30 * MIN, settle);
    await until(() => ports.heartbeats.length === 2);
    expect(ports.turns.map((t) => [t.sessionKey, t.message, t.heartbeat])).toEqual([
      ['agent:main:main', 'beat', true],
      ['agent:main:main', 'beat', true],
    ]);
    expect(ports.heartbeats[0]).toMatchObject({
      agentId: 'main',
      status: 'sent',
      preview: 'done',
      reason: 'interval',
    });
    await s.stop();
  });

  it('outside active hours a periodic beat is skipped; a wake still runs', async () => {
    const { s, time, ports, settle } = await setup({
      heartbeats: {
        main: { everyMs: 30 * MIN, activeHours: { start: '20:00', end: '22:00', timezone: 'UTC' } },
      },
    });
    await time.advance(30 * MIN, settle);
    await until(() => ports.heartbeats.length === 1);
    expect(ports.heartbeats[0]).toMatchObject({ status: 'skipped', reason: 'quiet-hours' });
    expect(ports.turns).toEqual([]);
    await s.wake({ mode: 'now', text: 'the build broke' });
    await until(() => ports.heartbeats.length === 2);
    expect(ports.systemEvents).toEqual([
      { agentId: 'main', sessionKey: 'agent:main:main', text: 'the build broke' },
    ]);
    expect(ports.turns).toHaveLength(1);
    await s.stop();
  });

  it('an empty HEARTBEAT.md costs nothing unless an event is queued', async () => {
    const ports = new RecordingPorts();
    ports.heartbeatFile = async () => '# Heartbeat\n<!-- nothing yet -->\n';
    ports.reply = async () => ({ status: 'ok', text: 'NO_REPLY' });
    const { s, time, settle } = await setup({ heartbeats: { main: { everyMs: 30 * MIN } } }, ports);
    await time.advance(30 * MIN, settle);
    await until(() => ports.heartbeats.length === 1);
    expect(ports.heartbeats[0]).toMatchObject({ status: 'skipped', reason: 'empty-heartbeat-file' });
    await s.wake({ mode: 'next-heartbeat', text: 'remind me about the dentist' });
    expect(ports.turns).toEqual([]);
    await time.advance(30 * MIN, settle);
    await until(() => ports.heartbeats.length === 2);
    expect(ports.turns).toHaveLength(1);
    expect(ports.heartbeats[1]).toMatchObject({ status: 'ok-token' });
    await s.stop();
  });

  it('requests during a heartbeat run coalesce into one more', async () => {
    const ports = new RecordingPorts();
    const gates: ((o: TurnOutcome) => void)[] = [];
    ports.reply = () => {
      const d = deferred<TurnOutcome>();
      gates.push(d.resolve);
      return d.promise;
    };
    const { s } = await setup({}, ports);
    await s.wake({ mode: 'now', text: 'one' });
    await s.wake({ mode: 'now', text: 'two' });
    await s.wake({ mode: 'now', text: 'three' });
    await until(() => gates.length === 1);
    gates[0]?.({ status: 'ok', text: 'ok' });
    await until(() => gates.length === 2);
    gates[1]?.({ status: 'error', text: '', error: 'boom' });
    await until(() => ports.heartbeats.length === 2);
    expect(ports.turns).toHaveLength(2);
    expect(ports.heartbeats.map((h) => h.status)).toEqual(['sent', 'failed']);
    await s.stop();
  });
});
