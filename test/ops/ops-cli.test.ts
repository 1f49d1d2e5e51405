import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_PATH, runCli, spawnCli } from '../helpers/cli.js';

// The built CLI against deliberately broken state dirs: doctor, security audit, the service commands
// (a fake `systemctl` on PATH records its argv) and logs.

let dir: string;
let state: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-ops-cli-'));
  state = join(dir, 'state');
  await mkdir(state, { mode: 0o700 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(config: Record<string, unknown>, mode = 0o600): Promise<void> {
  await writeFile(join(state, 'carapace.json'), JSON.stringify(config), { mode });
  await chmod(join(state, 'carapace.json'), mode);
}

function carapace(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { HOME: dir, CARAPACE_STATE_DIR: state, NO_COLOR: '1', ...env });
}

interface JsonReport {
  ok: boolean;
  findings: { id: string; severity: string; fixable: boolean }[];
  fixes: { id: string; ok: boolean; message: string }[];
}

const QUIET = { gateway: { port: 0 }, tools: { sandbox: { mode: 'off' } } };

describe('carapace doctor', { timeout: 60_000 }, () => {
  it('fails on an open config file and a missing token variable, and lists both', async () => {
    await writeConfig(
      { ...QUIET, channels: { telegram: { accounts: { main: { botToken: { source: 'env', id: 'TG' } } } } } },
      0o644,
    );
    const res = carapace(['doctor']);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(`perm.config  config file: ${join(state, 'carapace.json')} is 0644`);
    expect(res.stdout).toContain('environment variable TG is not set');
    expect(res.stdout).toContain('carapace doctor --fix repairs 1 of them');
  });

  it('--fix --json repairs modes and seeds the workspace, then passes', async () => {
    await writeConfig(QUIET, 0o644);
    const before = carapace(['doctor', '--json']);
    expect(before.status).toBe(1);
    const report = JSON.parse(before.stdout) as JsonReport;
    expect(report.ok).toBe(false);
    expect(report.findings.find((f) => f.id === 'perm.config')).toMatchObject({
      severity: 'error',
      fixable: true,
    });

    const fixed = carapace(['doctor', '--fix', '--json']);
    expect(fixed.stderr).toBe('');
    expect(fixed.status).toBe(0);
    const after = JSON.parse(fixed.stdout) as JsonReport;
    expect(after.ok).toBe(true);
    expect(after.fixes.map((f) => f.id)).toEqual(['perm.config', 'workspace.missing']);
    expect((await stat(join(state, 'carapace.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(state, 'workspace', 'SOUL.md'))).isFile()).toBe(true);
  });
});

describe('carapace security audit', { timeout: 60_000 }, () => {
  it('exits 1 on a high finding and prints its fix', async () => {
    await writeConfig({ gateway: { bind: 'lan' } });
    const res = carapace(['security', 'audit']);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain('high gateway.bind');
    expect(res.stdout).toContain('fix: carapace config set gateway.bind loopback');
  });

  it('--fix applies the config tightening (with a backup) and then passes', async () => {
    await writeConfig({
      channels: { telegram: { accounts: { main: { botToken: 'x', dmPolicy: 'open' } } } },
    });
    const res = carapace(['security', 'audit', '--fix', '--json']);
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout) as JsonReport;
    expect(report.fixes).toEqual([expect.objectContaining({ id: 'dm.open-exec', ok: true })]);
    expect(
      JSON.parse(await readFile(join(state, 'carapace.json.bak'), 'utf8')).channels.telegram.accounts.main
        .dmPolicy,
    ).toBe('open');
  });
});

describe('carapace gateway install|status|restart|uninstall', { timeout: 60_000 }, () => {
  let bin: string;
  let argvLog: string;
  beforeEach(async () => {
    bin = join(dir, 'bin');
    argvLog = join(dir, 'argv.log');
    await mkdir(bin);
  });
  const fake = (busDown: boolean) =>
    writeFile(
      join(bin, 'systemctl'),
      [
        '#!/bin/sh',
        `echo "$*" >> '${argvLog}'`,
        busDown ? '[ "$2" = show-environment ] && { echo "Failed to connect to bus" >&2; exit 1; }' : '',
        '[ "$2" = show ] && printf "ActiveState=active\\nSubState=running\\nMainPID=77\\n"',
        'exit 0',
      ].join('\n'),
      { mode: 0o755 },
    );
  const withFake = (args: string[]) => carapace(args, { PATH: `${bin}:${process.env.PATH ?? ''}` });
  const unit = () => join(dir, '.config', 'systemd', 'user', 'carapace-gateway.service');

  it('install writes the unit with node, the CLI path and the state dir, then enables it', async () => {
    await fake(false);
    const res = withFake(['gateway', 'install']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const text = await readFile(unit(), 'utf8');
    expect(text).toContain(`ExecStart=${process.execPath} ${CLI_PATH} gateway run\n`);
    expect(text).toContain(`Environment=CARAPACE_STATE_DIR=${state}\n`);
    expect(text).toContain('Restart=on-failure');
    expect((await readFile(argvLog, 'utf8')).trim().split('\n')).toEqual([
      '--user show-environment',
      '--user daemon-reload',
      '--user enable --now carapace-gateway.service',
    ]);

    const status = JSON.parse(withFake(['gateway', 'status', '--json']).stdout);
    expect(status).toMatchObject({ ok: true, state: { ActiveState: 'active', MainPID: '77' } });
    expect(withFake(['gateway', 'restart']).status).toBe(0);
    expect(withFake(['gateway', 'uninstall']).status).toBe(0);
    await expect(stat(unit())).rejects.toThrow();
  });

  it('without a systemd user manager: says so, writes nothing, prints other supervisors, exits 1', async () => {
    await fake(true);
    const res = withFake(['gateway', 'install']);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('systemd is not available here');
    expect(res.stdout).toContain('[program:carapace-gateway]');
    expect(res.stdout).toContain(`${CLI_PATH} gateway run`);
    await expect(stat(unit())).rejects.toThrow();
  });
});

describe('carapace logs', { timeout: 60_000 }, () => {
  const line = (msg: string, level = 30) =>
    `${JSON.stringify({ level, time: 1_700_000_000_000, pid: 1, msg })}\n`;

  it('prints the last lines pretty, or raw with --json; no file is an error', async () => {
    expect(carapace(['logs']).status).toBe(1);
    await mkdir(join(state, 'logs'));
    await writeFile(join(state, 'logs', 'gateway.jsonl'), line('one') + line('two', 40) + line('three', 50));
    const pretty = carapace(['logs', '--lines', '2']);
    expect(pretty.status).toBe(0);
    expect(pretty.stdout).toBe('2023-11-14 22:13:20.000 WARN  two\n2023-11-14 22:13:20.000 ERROR three\n');
    expect(carapace(['logs', '--json', '-n', '1']).stdout).toBe(line('three', 50));
  });

  it('--follow prints lines appended later, until interrupted', async () => {
    await mkdir(join(state, 'logs'));
    const file = join(state, 'logs', 'gateway.jsonl');
    await writeFile(file, line('before'));
    const child = spawnCli(['logs', '--follow', '--json'], { HOME: dir, CARAPACE_STATE_DIR: state });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const waitFor = async (text: string) => {
      for (let i = 0; i < 500 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor('before');
    await appendFile(file, line('after'));
    await waitFor('after');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toBe(line('before') + line('after'));
  });
});
