import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../../../test/helpers/cli.js';
import { type Harness, startGateway } from '../../../test/helpers/gateway-harness.js';
import type { CronJob } from '../../protocol/index.js';

// `carapace cron …` (the built CLI, as a child process) against a real in-process gateway.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;
let h: Harness;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'carapace-cron-cli-'));
  h = await startGateway({ heartbeat: { every: '0m' } });
});
afterAll(async () => {
  await h.cleanup();
  await rm(home, { recursive: true, force: true });
});

function carapace(args: string[]): Promise<Run> {
  const child = spawnCli([...args, '--url', h.url, '--token', h.token ?? ''], {
    HOME: home,
    CARAPACE_STATE_DIR: home,
    NO_COLOR: '1',
    TZ: 'UTC',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const json = <T>(run: Run): T => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

describe('carapace cron', { timeout: 120_000 }, () => {
  it('add with --every, --cron --tz and --at; list shows them by next run', async () => {
    const every = json<CronJob>(
      await carapace([
        'cron',
        'add',
        '--every',
        '30m',
        '--system-event',
        'stretch',
        '--name',
        'stretch',
        '--json',
      ]),
    );
    expect(every).toMatchObject({
      name: 'stretch',
      schedule: { kind: 'every', everyMs: 1_800_000 },
      sessionTarget: 'main',
      payload: { kind: 'systemEvent', text: 'stretch' },
    });
    const weekdays = json<CronJob>(
      await carapace([
        'cron',
        'add',
        '--cron',
        '0 9 * * 1-5',
        '--tz',
        'Europe/Berlin',
        '--message',
        'summarise my inbox',
        '--deliver',
        'telegram:4242',
        '--name',
        'inbox',
        '--json',
      ]),
    );
    expect(weekdays).toMatchObject({
      schedule: { kind: 'cron', expr: '0 9 * * 1-5', tz: 'Europe/Berlin' },
      sessionTarget: 'isolated',
      delivery: { channel: 'telegram', to: '4242' },
    });
    expect(new Date(weekdays.state.nextRunAtMs ?? 0).getUTCHours()).toBeOneOf([7, 8]); // 09:00 Berlin
    const once = json<CronJob>(
      await carapace([
        'cron',
        'add',
        '--at',
        '2030-12-01T09:00',
        '--tz',
        'Europe/Berlin',
        '--system-event',
        'dentist at 10',
        '--delete-after-run',
        '--json',
      ]),
    );
    expect(once.schedule).toEqual({ kind: 'at', at: '2030-12-01T08:00:00.000Z' });
    expect(once.deleteAfterRun).toBe(true);

    const table = await carapace(['cron', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+SCHEDULE\s+NEXT\s+LAST\s+WHAT$/);
    const names = lines.slice(1).map((l) => l.split(/\s+/)[1]);
    expect([...names].sort()).toEqual(['dentist', 'inbox', 'stretch']);
    expect(names.at(-1)).toBe('dentist'); // in 2030: the last to run
    expect(table.stdout).toContain('cron 0 9 * * 1-5 (Europe/Berlin)');
    expect(table.stdout).toContain('isolated: summarise my inbox → telegram:4242');
  });

  it('edit by name, disable, run, runs and rm', async () => {
    const edited = json<CronJob>(
      await carapace(['cron', 'edit', 'stretch', '--every', '1h', '--disable', '--json']),
    );
    expect(edited).toMatchObject({ enabled: false, schedule: { kind: 'every', everyMs: 3_600_000 } });
    const listed = json<{ jobs: CronJob[] }>(await carapace(['cron', 'list', '--json']));
    expect(listed.jobs.map((j) => j.name)).not.toContain('stretch');
    const all = json<{ jobs: CronJob[] }>(await carapace(['cron', 'list', '--all', '--json']));
    expect(all.jobs.map((j) => j.name)).toContain('stretch');

    const run = await carapace(['cron', 'run', edited.id.slice(0, 8)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^started stretch \(run [0-9a-f-]+\)/);
    let runs: { entries: { status: string; trigger: string }[] } = { entries: [] };
    for (let i = 0; i < 50 && runs.entries[0]?.status !== 'ok'; i++) {
      runs = json(await carapace(['cron', 'runs', 'stretch', '--json']));
    }
    expect(runs.entries[0]).toMatchObject({ status: 'ok', trigger: 'manual' });
    const text = await carapace(['cron', 'runs', 'stretch']);
    expect(text.stdout).toMatch(/SCHEDULED\s+STATUS\s+TRIGGER\s+TOOK\s+NOTE/);
    expect(text.stdout).toMatch(/ok\s+manual/);

    const removed = await carapace(['cron', 'rm', 'stretch']);
    expect(removed).toMatchObject({ code: 0 });
    expect(removed.stdout).toContain(`removed stretch (${edited.id})`);
    const gone = await carapace(['cron', 'runs', 'stretch']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("no cron job 'stretch' (see carapace cron list)");
  });

  it('bad durations, expressions and zones exit 2 before contacting the gateway, with a fix', async () => {
    const cases: [string[], RegExp][] = [
      [['--every', 'soon'], /--every: 'soon' is not a duration: .*'30m'/],
      [['--cron', '61 * * * *'], /--cron: /],
      [['--cron', '0 9 * * *', '--tz', 'Mars/Olympus'], /unknown time zone 'Mars\/Olympus'/],
      [['--at', '2026-13-45T09:00'], /--at: '2026-13-45T09:00' is not a time/],
    ];
    for (const [flags, message] of cases) {
      const run = await carapace(['cron', 'add', ...flags, '--system-event', 'x']);
      expect(run.code, flags.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const noSchedule = await carapace(['cron', 'add', '--message', 'x']);
    expect(noSchedule).toMatchObject({ code: 2 });
    expect(noSchedule.stderr).toContain('give one schedule');
  });

  it('the gateway’s own refusals come through (an unknown agent)', async () => {
    const run = await carapace(['cron', 'add', '--every', '1h', '--system-event', 'x', '--agent', 'ghost']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("unknown agent 'ghost'");
  });

  it('status', async () => {
    const run = await carapace(['cron', 'status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/scheduler\s+enabled/);
    expect(run.stdout).toMatch(/jobs\s+2/);
  });
});
