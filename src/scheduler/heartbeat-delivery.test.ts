import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HeartbeatSettings } from './heartbeat-settings.js';
import {
  HEARTBEAT_OK,
  heartbeatDeliveryText,
  isHeartbeatAck,
  resolveHeartbeats,
} from './heartbeat-settings.js';
import { Scheduler } from './scheduler.js';
import { FakeTime, RecordingPorts, tempCronDir, until } from './test-support.js';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

async function setup(
  main: Omit<HeartbeatSettings, 'everyMs'> = {},
  ports = new RecordingPorts(),
  dir?: string,
) {
  const time = new FakeTime(T0);
  const cronDir = dir ?? (await tempCronDir());
  const s = new Scheduler({
    cronDir,
    ports,
    clock: time,
    timers: time,
    heartbeats: { main: { everyMs: 30 * MIN, ...main } },
  });
  await s.start();
  /** One more periodic heartbeat. */
  const beat = async () => {
    const n = ports.heartbeats.length + 1;
    await time.advance(30 * MIN, async () => {});
    await until(() => ports.heartbeats.length >= n);
  };
  return { s, time, ports, beat, cronDir };
}

describe('HEARTBEAT_OK', () => {
  it('a bare or short trailing HEARTBEAT_OK is an acknowledgement; long replies are not', () => {
    expect(isHeartbeatAck(HEARTBEAT_OK)).toBe(true);
    expect(isHeartbeatAck(' **HEARTBEAT_OK**. ')).toBe(true);
    expect(isHeartbeatAck('NO_REPLY')).toBe(true);
    expect(isHeartbeatAck('')).toBe(true);
    expect(isHeartbeatAck('Checked the inbox, nothing new. HEARTBEAT_OK')).toBe(true);
    expect(isHeartbeatAck('HEARTBEAT_OK but the disk is full')).toBe(false);
    expect(isHeartbeatAck(`${'x'.repeat(300)} HEARTBEAT_OK`)).toBe(false);
    expect(isHeartbeatAck('The build is broken: 3 failing tests.')).toBe(false);
    expect(heartbeatDeliveryText(`${'Server down. '.repeat(30)}\n\nHEARTBEAT_OK`)).toBe(
      'Server down. '.repeat(30).trim(),
    );
  });

  it('settings carry model, target and budget, per agent over the defaults', () => {
    const out = resolveHeartbeats(
      {
        every: '30m',
        model: 'cheap/mini',
        dailyTokenBudget: 5000,
        agents: { ops: { target: { channel: 'telegram', to: '42' }, dailyTokenBudget: 100 } },
      },
      ['main', 'ops'],
    );
    expect(out.main).toEqual({ everyMs: 30 * MIN, model: 'cheap/mini', dailyTokenBudget: 5000 });
    expect(out.ops).toMatchObject({ target: { channel: 'telegram', to: '42' }, dailyTokenBudget: 100 });
  });
});

describe('heartbeat delivery', () => {
  it('HEARTBEAT_OK is not delivered; anything else goes to the last channel, with the cheaper model', async () => {
    const ports = new RecordingPorts();
    ports.lastTarget = async () => ({ channel: 'memory', to: 'owner', accountId: 'default' });
    const replies = ['HEARTBEAT_OK', 'Your flight leaves in 3 hours.'];
    ports.reply = async () => ({ status: 'ok', text: replies.shift() ?? '' });
    const { s, beat } = await setup({ model: 'cheap/mini' }, ports);
    await beat();
    expect(ports.heartbeats[0]).toMatchObject({ status: 'ok-token' });
    expect(ports.deliveries).toEqual([]);
    await beat();
    expect(ports.heartbeats[1]).toMatchObject({ status: 'sent', preview: 'Your flight leaves in 3 hours.' });
    expect(ports.deliveries).toEqual([
      { channel: 'memory', to: 'owner', accountId: 'default', text: 'Your flight leaves in 3 hours.' },
    ]);
    expect(ports.turns.map((t) => t.model)).toEqual(['cheap/mini', 'cheap/mini']);
    await s.stop();
  });

  it("a fixed target wins over the last channel; 'none' delivers nowhere; a failed delivery is reported", async () => {
    const ports = new RecordingPorts();
    ports.lastTarget = async () => ({ channel: 'memory', to: 'owner' });
    ports.reply = async () => ({ status: 'ok', text: 'Disk 95% full' });
    const { s, beat } = await setup({ target: { channel: 'telegram', to: '42' } }, ports);
    await beat();
    expect(ports.deliveries).toEqual([{ channel: 'telegram', to: '42', text: 'Disk 95% full' }]);
    s.configure({ heartbeats: { main: { everyMs: 30 * MIN, target: 'none' } } });
    await beat();
    expect(ports.deliveries).toHaveLength(1);
    expect(ports.heartbeats[1]).toMatchObject({ status: 'sent' });
    s.configure({ heartbeats: { main: { everyMs: 30 * MIN } } });
    ports.deliverFails = true;
    await beat();
    expect(ports.heartbeats[2]).toMatchObject({ status: 'failed', reason: 'channel down' });
    await s.stop();
  });
});

describe('heartbeat budget', () => {
  it('pauses after the daily budget, says so once, survives a restart and resumes the next day', async () => {
    const ports = new RecordingPorts();
    ports.lastTarget = async () => ({ channel: 'memory', to: 'owner' });
    ports.reply = async () => ({ status: 'ok', text: HEARTBEAT_OK, tokens: 400 });
    const hb = { dailyTokenBudget: 1000, activeHours: { start: '00:00', end: '24:00', timezone: 'UTC' } };
    const { s, beat, cronDir } = await setup(hb, ports);
    await beat();
    await beat();
    await beat(); // 400 + 400 + 400: the third crosses the budget
    expect(ports.turns).toHaveLength(3);
    await beat();
    await beat();
    expect(ports.turns).toHaveLength(3);
    expect(ports.heartbeats.slice(3).map((h) => [h.status, h.reason])).toEqual([
      ['skipped', 'budget'],
      ['skipped', 'budget'],
    ]);
    expect(ports.deliveries).toHaveLength(1);
    expect(ports.deliveries[0]?.text).toMatch(/paused for today: they used 1200 of their 1000 daily tokens/);
    await s.stop();
    const usage = JSON.parse(await readFile(join(cronDir, 'heartbeat-usage.json'), 'utf8'));
    expect(usage.agents.main).toMatchObject({ day: '2026-06-01', tokens: 1200, noticed: true });

    // A restart the same day: still paused, not announced again.
    const again = await setup(hb, ports, cronDir);
    await again.beat();
    expect(ports.turns).toHaveLength(3);
    expect(ports.deliveries).toHaveLength(1);
    await again.s.stop();

    // The next day (UTC) the budget is fresh.
    const next = await setup(hb, ports, cronDir);
    next.time.jump(24 * HOUR);
    await next.beat();
    expect(ports.turns).toHaveLength(4);
    await next.s.stop();
  });

  it('a wake does not bypass a spent budget; its event stays queued in the session', async () => {
    const ports = new RecordingPorts();
    ports.reply = async () => ({ status: 'ok', text: 'NO_REPLY', tokens: 50 });
    const { s, beat } = await setup({ dailyTokenBudget: 10 }, ports);
    await beat();
    await s.wake({ mode: 'now', text: 'the build broke' });
    await until(() => ports.heartbeats.length === 2);
    expect(ports.heartbeats[1]).toMatchObject({ status: 'skipped', reason: 'budget' });
    expect(ports.systemEvents.map((e) => e.text)).toEqual(['the build broke']);
    expect(ports.turns).toHaveLength(1);
    await s.stop();
  });
});
