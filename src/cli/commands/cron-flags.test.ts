import { describe, expect, it } from 'vitest';
import type { CronJob } from '../../protocol/index.js';
import { USAGE_ERROR } from '../context.js';
import { jobInputFromFlags, jobPatchFromFlags, parseDeliver, scheduleFromFlags } from './cron-flags.js';

const NOW = Date.parse('2026-06-01T10:00:00Z');

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: USAGE_ERROR });
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

const job: CronJob = {
  id: '0b7c1d2e-0000-4000-8000-000000000001',
  name: 'digest',
  enabled: true,
  createdAtMs: NOW,
  updatedAtMs: NOW,
  schedule: { kind: 'every', everyMs: 3_600_000 },
  sessionTarget: 'isolated',
  wakeMode: 'now',
  payload: { kind: 'agentTurn', message: 'summarise my inbox', model: 'a/b' },
  delivery: { channel: 'telegram', to: '42' },
  state: { consecutiveErrors: 0 },
};

describe('cron flags: schedules', () => {
  it('--every, --cron with --tz, and --at in a zone (across the DST offset)', () => {
    expect(scheduleFromFlags({ every: '1h30m' })).toEqual({ kind: 'every', everyMs: 5_400_000 });
    expect(scheduleFromFlags({ cron: '0 9 * * 1-5', tz: 'Europe/Berlin' })).toEqual({
      kind: 'cron',
      expr: '0 9 * * 1-5',
      tz: 'Europe/Berlin',
    });
    expect(scheduleFromFlags({ at: '2026-12-01T09:00', tz: 'Europe/Berlin' })).toEqual({
      kind: 'at',
      at: '2026-12-01T08:00:00.000Z',
    });
    expect(scheduleFromFlags({ at: '2026-07-01T09:00', tz: 'Europe/Berlin' })).toEqual({
      kind: 'at',
      at: '2026-07-01T07:00:00.000Z',
    });
    expect(scheduleFromFlags({ at: '+20m' }, NOW)).toEqual({ kind: 'at', at: '2026-06-01T10:20:00.000Z' });
  });

  it('bad durations, expressions, times and zones are usage errors that say how to fix them', () => {
    expect(usage(() => scheduleFromFlags({ every: '30 minutes please' }))).toMatch(
      /--every: '30 minutes please' is not a duration: .*'30m'/,
    );
    expect(usage(() => scheduleFromFlags({ every: '10ms' }))).toMatch(/too short/);
    expect(usage(() => scheduleFromFlags({ cron: '0 9 * *' }))).toMatch(/^--cron: /);
    expect(usage(() => scheduleFromFlags({ cron: '0 9 * * 1-5', tz: 'Europe/Berlinn' }))).toMatch(
      /unknown time zone 'Europe\/Berlinn'.*'Europe\/Berlin'/,
    );
    expect(usage(() => scheduleFromFlags({ at: 'next tuesday' }))).toMatch(
      /--at: 'next tuesday' is not a time/,
    );
    expect(usage(() => scheduleFromFlags({ every: '1h', tz: 'UTC' }))).toMatch(
      /--tz goes with --cron or --at/,
    );
    expect(usage(() => scheduleFromFlags({ every: '1h', cron: '* * * * *' }))).toMatch(
      /more than one schedule/,
    );
  });

  it('--deliver is <channel>:<to>', () => {
    expect(parseDeliver('telegram:-100123:45')).toEqual({ channel: 'telegram', to: '-100123:45' });
    expect(usage(() => parseDeliver('telegram'))).toMatch(/not <channel>:<to>/);
  });
});

describe('cron flags: add', () => {
  it('--message is an isolated agent turn (model, timeout, delivery); --system-event goes to main', () => {
    expect(
      jobInputFromFlags({
        every: '30m',
        message: 'check the weather',
        deliver: 'telegram:42',
        account: 'bot2',
        bestEffort: true,
        model: 'openai/gpt-4o-mini',
        timeout: 60,
        agent: 'ops',
      }),
    ).toEqual({
      name: 'check the weather',
      schedule: { kind: 'every', everyMs: 1_800_000 },
      payload: {
        kind: 'agentTurn',
        message: 'check the weather',
        model: 'openai/gpt-4o-mini',
        timeoutSeconds: 60,
      },
      agentId: 'ops',
      delivery: { channel: 'telegram', to: '42', accountId: 'bot2', bestEffort: true },
    });
    expect(
      jobInputFromFlags(
        {
          at: '+1h',
          systemEvent: 'stand up',
          name: 'stretch',
          wake: 'next-heartbeat',
          deleteAfterRun: true,
          disable: true,
        },
        NOW,
      ),
    ).toEqual({
      name: 'stretch',
      schedule: { kind: 'at', at: '2026-06-01T11:00:00.000Z' },
      payload: { kind: 'systemEvent', text: 'stand up' },
      wakeMode: 'next-heartbeat',
      enabled: false,
      deleteAfterRun: true,
    });
  });

  it('refuses contradictions with a fix', () => {
    expect(usage(() => jobInputFromFlags({ message: 'x' }))).toMatch(/no schedule: give one schedule/);
    expect(usage(() => jobInputFromFlags({ every: '1h' }))).toMatch(
      /--message <text>.*--system-event <text>/,
    );
    expect(usage(() => jobInputFromFlags({ every: '1h', message: 'x', systemEvent: 'y' }))).toMatch(
      /exclude/,
    );
    expect(usage(() => jobInputFromFlags({ every: '1h', message: 'x', session: 'main' }))).toMatch(
      /--session main takes --system-event/,
    );
    expect(usage(() => jobInputFromFlags({ every: '1h', systemEvent: 'x', deliver: 'telegram:1' }))).toMatch(
      /--deliver only go with --message/,
    );
  });
});

describe('cron flags: edit', () => {
  it('changes only what the flags name, keeping the rest of the payload', () => {
    expect(jobPatchFromFlags(job, { timeout: 120 })).toEqual({
      payload: { kind: 'agentTurn', message: 'summarise my inbox', model: 'a/b', timeoutSeconds: 120 },
    });
    expect(jobPatchFromFlags(job, { cron: '0 8 * * *', tz: 'UTC', disable: true })).toEqual({
      schedule: { kind: 'cron', expr: '0 8 * * *', tz: 'UTC' },
      enabled: false,
    });
    expect(jobPatchFromFlags(job, { deliver: false })).toEqual({ delivery: null });
    expect(jobPatchFromFlags(job, { bestEffort: true })).toEqual({
      delivery: { channel: 'telegram', to: '42', bestEffort: true },
    });
    expect(jobPatchFromFlags(job, { systemEvent: 'ping' })).toEqual({
      payload: { kind: 'systemEvent', text: 'ping' },
      delivery: null,
    });
  });

  it('refuses an empty edit and a session switch without a payload', () => {
    expect(usage(() => jobPatchFromFlags(job, {}))).toMatch(/nothing to change/);
    expect(usage(() => jobPatchFromFlags(job, { session: 'main' }))).toMatch(
      /needs a new payload: give --system-event/,
    );
  });
});
