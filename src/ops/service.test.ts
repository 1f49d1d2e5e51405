import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../config/index.js';
import {
  createSystemctlRunner,
  installService,
  restartService,
  type ServiceOptions,
  serviceStatus,
  uninstallService,
  userUnitDir,
} from './service.js';
import { renderUnit, systemdQuote } from './service-unit.js';

let dir: string;
let bin: string;
let argvLog: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-service-'));
  bin = join(dir, 'bin');
  argvLog = join(dir, 'systemctl-argv.log');
  await mkdir(bin);
  await writeFile(join(dir, 'main.js'), '// the built CLI\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A fake `systemctl` on PATH: records its argv (one line each, args joined by a space), answers `show`
 * with the given properties and fails `show-environment` when `busDown`.
 */
async function fakeSystemctl(opts: { busDown?: boolean; show?: string } = {}): Promise<void> {
  const script = [
    '#!/bin/sh',
    `echo "$*" >> '${argvLog}'`,
    'case "$2" in',
    `  show-environment) ${opts.busDown ? 'echo "Failed to connect to bus: No medium found" >&2; exit 1' : 'echo PATH=/usr/bin; exit 0'} ;;`,
    `  show) printf '%s\\n' '${opts.show ?? ''}' ;;`,
    'esac',
    'exit 0',
  ].join('\n');
  await writeFile(join(bin, 'systemctl'), script, { mode: 0o755 });
}

const recorded = async () => (await readFile(argvLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);

function options(extra: Partial<ServiceOptions> = {}): ServiceOptions {
  const env = { HOME: dir, PATH: `${bin}:/usr/bin:/bin` };
  return {
    paths: resolvePaths({ stateDir: join(dir, 'state') }, {}),
    env,
    systemctl: createSystemctlRunner(env),
    nodePath: '/opt/node/bin/node',
    cliPath: join(dir, 'main.js'),
    ...extra,
  };
}

const unitPath = () => join(dir, '.config', 'systemd', 'user', 'carapace-gateway.service');

describe('gateway install (systemd user service)', () => {
  it('writes the unit, reloads systemd, enables and starts it', async () => {
    await fakeSystemctl();
    const out = await installService(options({ secretEnvNames: ['TG_TOKEN'] }));
    expect(out.ok).toBe(true);
    expect(out.unitPath).toBe(unitPath());
    const unit = await readFile(unitPath(), 'utf8');
    expect(unit).toContain(`ExecStart=/opt/node/bin/node ${join(dir, 'main.js')} gateway run\n`);
    expect(unit).toContain(`Environment=CARAPACE_STATE_DIR=${join(dir, 'state')}\n`);
    expect(unit).toContain(`EnvironmentFile=-${join(dir, 'state', 'service.env')}\n`);
    expect(unit).toContain('Restart=on-failure\n');
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).not.toContain('CARAPACE_CONFIG_PATH');
    expect(await recorded()).toEqual([
      '--user show-environment',
      '--user daemon-reload',
      '--user enable --now carapace-gateway.service',
    ]);
    expect(out.lines.join('\n')).toContain(
      `put TG_TOKEN (NAME=value lines) in ${join(dir, 'state', 'service.env')}`,
    );
  });

  it('a config outside the state dir is passed on; a changed unit is backed up before it is replaced', async () => {
    await fakeSystemctl();
    await mkdir(join(dir, '.config', 'systemd', 'user'), { recursive: true });
    await writeFile(unitPath(), '[Service]\nExecStart=/old\n');
    const paths = resolvePaths({ stateDir: join(dir, 'state'), configPath: join(dir, 'my config.json') }, {});
    const out = await installService(options({ paths }));
    expect(out.ok).toBe(true);
    expect(await readFile(`${unitPath()}.bak`, 'utf8')).toBe('[Service]\nExecStart=/old\n');
    expect(await readFile(unitPath(), 'utf8')).toContain(
      `Environment="CARAPACE_CONFIG_PATH=${join(dir, 'my config.json')}"`,
    );
  });

  it('where no systemd user manager runs, says so, writes nothing and prints other supervisors', async () => {
    await fakeSystemctl({ busDown: true });
    const out = await installService(options());
    expect(out.ok).toBe(false);
    expect(out.unavailable?.reason).toContain('Failed to connect to bus');
    expect(out.unavailable?.instructions).toContain('[program:carapace-gateway]');
    expect(out.unavailable?.instructions).toContain(`/opt/node/bin/node ${join(dir, 'main.js')} gateway run`);
    expect(out.unavailable?.instructions).toContain('runit');
    await expect(stat(unitPath())).rejects.toThrow();
    expect(await recorded()).toEqual(['--user show-environment']);
  });

  it('the supervisor log goes to the logs dir of the state paths (where the gateway logs), not one of its own', async () => {
    await fakeSystemctl({ busDown: true });
    const base = options();
    const logsDir = join(dir, 'elsewhere', 'logs');
    const out = await installService({ ...base, paths: { ...base.paths, logsDir } });
    const text = out.unavailable?.instructions ?? '';
    expect(text).toContain(`mkdir -p ${logsDir} && nohup`);
    expect(text).toContain(`>> ${join(logsDir, 'supervisor.log')} 2>&1 &`);
    expect(text).toContain(`stdout_logfile=${join(logsDir, 'supervisor.log')}\n`);
    expect(text).not.toContain(join(base.paths.stateDir, 'logs'));
  });

  it('without systemctl at all, says it is not installed', async () => {
    const out = await installService(options({ systemctl: createSystemctlRunner({ PATH: bin }) }));
    expect(out.unavailable?.reason).toBe('systemctl is not installed');
  });

  it('refuses when the CLI is not built', async () => {
    await fakeSystemctl();
    const out = await installService(options({ cliPath: join(dir, 'dist', 'cli', 'main.js') }));
    expect(out).toMatchObject({ ok: false });
    expect(out.lines[0]).toContain('npm run build');
  });
});

describe('gateway status, restart, uninstall', () => {
  it('status reads systemd properties; active is ok', async () => {
    await fakeSystemctl({
      show: 'LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nNRestarts=1',
    });
    await installService(options());
    const out = await serviceStatus(options());
    expect(out.ok).toBe(true);
    expect(out.state).toMatchObject({ ActiveState: 'active', MainPID: '4242' });
    expect(out.lines[0]).toBe('carapace-gateway.service: active (running), pid 4242');
    expect((await recorded()).at(-1)).toMatch(
      /^--user show carapace-gateway\.service --property=LoadState,ActiveState,/,
    );
  });

  it('status of a failed service is not ok; of a missing unit says how to install', async () => {
    await fakeSystemctl({ show: 'ActiveState=failed\nSubState=failed' });
    expect((await serviceStatus(options())).lines[0]).toContain('carapace gateway install');
    await installService(options());
    expect((await serviceStatus(options())).ok).toBe(false);
  });

  it('restart and uninstall run systemctl and remove the unit', async () => {
    await fakeSystemctl();
    await installService(options());
    expect((await restartService(options())).ok).toBe(true);
    const out = await uninstallService(options());
    expect(out.ok).toBe(true);
    await expect(stat(unitPath())).rejects.toThrow();
    expect((await recorded()).filter((l) => !l.endsWith('show-environment')).slice(2)).toEqual([
      '--user restart carapace-gateway.service',
      '--user disable --now carapace-gateway.service',
      '--user daemon-reload',
    ]);
  });
});

describe('unit file text', () => {
  it('quotes words with spaces and escapes systemd specifiers', () => {
    expect(systemdQuote('/a b/node', true)).toBe('"/a b/node"');
    expect(systemdQuote('100%', true)).toBe('100%%');
    expect(systemdQuote('$HOME', true)).toBe('$$HOME');
    expect(systemdQuote('say "hi"')).toBe('"say \\"hi\\""');
    const unit = renderUnit({
      nodePath: '/n',
      cliPath: '/my dir/main.js',
      stateDir: '/s',
      logsDir: '/s/logs',
      pathEnv: '/usr/bin:/bin',
    });
    expect(unit).toContain('ExecStart=/n "/my dir/main.js" gateway run\n');
    expect(unit).toContain('Environment=PATH=/usr/bin:/bin\n');
  });

  it('the unit dir follows XDG_CONFIG_HOME, else ~/.config', () => {
    expect(userUnitDir({ HOME: '/h' })).toBe('/h/.config/systemd/user');
    expect(userUnitDir({ HOME: '/h', XDG_CONFIG_HOME: '/x' })).toBe('/x/systemd/user');
  });
});
