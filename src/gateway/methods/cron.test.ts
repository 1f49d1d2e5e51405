import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scheduler, type SchedulerPorts } from '../../scheduler/index.js';
import { type MethodContext, MethodRegistry } from '../registry.js';
import { toWireError } from '../wire-error.js';
import { registerCronMethods } from './cron.js';

const ctx = {
  caller: {
    connId: 'c',
    clientId: 'test',
    clientMode: 'test',
    role: 'operator',
    scopes: [],
    remoteAddress: '127.0.0.1',
  },
  accept: () => {},
  signal: new AbortController().signal,
} satisfies MethodContext;

async function setup() {
  const events: unknown[] = [];
  const systemEvents: string[] = [];
  const ports: SchedulerPorts = {
    runTurn: async () => ({ status: 'ok', text: 'NO_REPLY' }),
    systemEvent: (_a, key, text) => {
      systemEvents.push(`${key}: ${text}`);
    },
    deliver: async () => {},
    emit: (_e: string, p: unknown) => {
      events.push(p);
    },
  };
  const scheduler = new Scheduler({
    cronDir: join(await mkdtemp(join(tmpdir(), 'carapace-cronm-')), 'cron'),
    ports,
    maxTimerMs: 1000,
  });
  await scheduler.start();
  const registry = new MethodRegistry();
  registerCronMethods(registry, { scheduler });
  const call = async (method: string, params: unknown) => {
    const m = registry.get(method);
    if (!m) throw new Error(`no ${method}`);
    if (!m.params.check(params))
      throw new Error(`invalid params for ${method}: ${JSON.stringify(m.params.issues(params))}`);
    return (await m.handler(params as never, ctx)) as Record<string, unknown>;
  };
  return { registry, call, scheduler, events, systemEvents };
}

describe('cron methods', () => {
  it('registers cron.* and wake with their scopes', async () => {
    const { registry, scheduler } = await setup();
    expect(registry.get('cron.list')?.scope).toBe('operator.read');
    expect(registry.get('cron.add')?.scope).toBe('operator.admin');
    expect(registry.get('wake')?.scope).toBe('operator.write');
    await scheduler.stop();
  });

  it('add → list → run → runs → update → remove over the wire shapes', async () => {
    const { call, scheduler, systemEvents } = await setup();
    const job = await call('cron.add', {
      name: 'standup',
      schedule: { kind: 'cron', expr: '0 9 * * 1-5', tz: 'Europe/Berlin' },
      payload: { kind: 'systemEvent', text: 'standup in 5' },
    });
    expect(job).toMatchObject({ name: 'standup', enabled: true, sessionTarget: 'main', wakeMode: 'now' });
    expect((await call('cron.list', {})).jobs).toHaveLength(1);
    const ran = await call('cron.run', { id: job.id });
    expect(ran).toMatchObject({ ok: true, ran: true });
    await expect
      .poll(async () => (await call('cron.runs', { jobId: job.id })).entries)
      .toMatchObject([{ kind: 'run', trigger: 'manual', status: 'ok' }]);
    expect(systemEvents).toContain('agent:main:main: standup in 5');
    expect(await call('cron.run', { id: job.id, mode: 'due' })).toEqual({
      ok: true,
      ran: false,
      reason: 'not-due',
    });
    const updated = await call('cron.update', { id: job.id, patch: { enabled: false } });
    expect(updated.enabled).toBe(false);
    expect((await call('cron.list', {})).jobs).toHaveLength(0);
    expect((await call('cron.list', { includeDisabled: true })).jobs).toHaveLength(1);
    expect(await call('cron.remove', { id: job.id })).toEqual({ ok: true, removed: true });
    expect(await call('cron.status', {})).toMatchObject({ enabled: true, jobs: 0, running: [] });
    await scheduler.stop();
  });

  it('errors carry details.code: an unknown job, an invalid job, a missing id', async () => {
    const { call, scheduler } = await setup();
    const notFound = await call('cron.remove', { id: 'nope' }).catch((e: unknown) => e);
    expect(toWireError(notFound)).toMatchObject({
      code: 'INVALID_REQUEST',
      details: { code: 'CRON_JOB_NOT_FOUND' },
    });
    const invalid = await call('cron.add', {
      name: 'x',
      sessionTarget: 'main',
      schedule: { kind: 'every', everyMs: 60_000 },
      payload: { kind: 'agentTurn', message: 'hi' },
    }).catch((e: unknown) => e);
    expect(toWireError(invalid)).toMatchObject({
      details: { code: 'CRON_JOB_INVALID' },
      message: expect.stringMatching(/sessionTarget 'main' takes a payload of kind 'systemEvent'/),
    });
    const noId = await call('cron.runs', {}).catch((e: unknown) => e);
    expect(toWireError(noId).message).toMatch(/missing required property 'id'/);
    await scheduler.stop();
  });

  it('wake queues a system event in the named session', async () => {
    const { call, scheduler, systemEvents } = await setup();
    expect(
      await call('wake', { mode: 'next-heartbeat', text: 'ping', sessionKey: 'agent:ops:main' }),
    ).toEqual({ ok: true });
    expect(systemEvents).toEqual(['agent:ops:main: ping']);
    await scheduler.stop();
  });
});
