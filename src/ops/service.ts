import { spawn } from 'node:child_process';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigEnv, StatePaths } from '../config/index.js';
import { backupFile, errnoCode, readLockFile, writeFileAtomic } from '../shared/index.js';
import { lockHolderLive, probeProcess } from './host-probe.js';
import { carapaceCliPath } from './package-root.js';
import {
  renderUnit,
  SERVICE_NAME,
  type ServiceSpec,
  serviceEnvFile,
  supervisorInstructions,
} from './service-unit.js';

/** What one `systemctl` call did; `missing` when there is no systemctl to run. */
export interface SystemctlResult {
  code: number | null;
  stdout: string;
  stderr: string;
  missing?: boolean;
}

/** Runs `systemctl <args>` (the args include `--user`). */
export type SystemctlRunner = (args: readonly string[]) => Promise<SystemctlResult>;

/** `systemctl` found on the PATH of `env`. */
export function createSystemctlRunner(env: ConfigEnv): SystemctlRunner {
  return (args) =>
    new Promise((resolve) => {
      const child = spawn('systemctl', [...args], {
        env: env as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', (err) =>
        resolve({ code: null, stdout, stderr: err.message, missing: errnoCode(err) === 'ENOENT' }),
      );
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
}

/** Where the service commands look and what they run. Every field but `paths` and `env` has a default. */
export interface ServiceOptions {
  paths: StatePaths;
  /** HOME, XDG_CONFIG_HOME and PATH come from here (`processEnvironment()` in the CLI). */
  env: ConfigEnv;
  /** Default: `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`. */
  unitDir?: string;
  /** Default: `systemctl` on the PATH of `env`. */
  systemctl?: SystemctlRunner;
  /** Default: `process.execPath`. */
  nodePath?: string;
  /** Default: this package's `dist/cli/main.js`. */
  cliPath?: string;
  /** Environment variables the config reads secrets from (install says where the service finds them). */
  secretEnvNames?: readonly string[];
}

/** What a service command did, for the CLI to print. */
export interface ServiceOutcome {
  ok: boolean;
  /** One line per step or fact, in order. */
  lines: string[];
  unitPath: string;
  /** Set when systemd (user) cannot be used here: why, and how to run the gateway otherwise. */
  unavailable?: { reason: string; instructions: string };
  /** `gateway status`: what systemd reports (ActiveState, SubState, MainPID …). */
  state?: Record<string, string>;
}

/** The folder of systemd user units. */
export function userUnitDir(env: ConfigEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || '/', '.config');
  return join(base, 'systemd', 'user');
}

interface Resolved {
  unitPath: string;
  systemctl: SystemctlRunner;
  spec: ServiceSpec;
}

async function resolve(o: ServiceOptions): Promise<Resolved> {
  const cliPath = o.cliPath ?? (await carapaceCliPath()) ?? join(process.cwd(), 'dist', 'cli', 'main.js');
  const defaultConfig = join(o.paths.stateDir, 'carapace.json');
  return {
    unitPath: join(o.unitDir ?? userUnitDir(o.env), SERVICE_NAME),
    systemctl: o.systemctl ?? createSystemctlRunner(o.env),
    spec: {
      nodePath: o.nodePath ?? process.execPath,
      cliPath,
      stateDir: o.paths.stateDir,
      logsDir: o.paths.logsDir,
      configPath: o.paths.configPath === defaultConfig ? undefined : o.paths.configPath,
      pathEnv: o.env.PATH,
    },
  };
}

/** Is a systemd user manager reachable? `show-environment` fails without one (e.g. in containers). */
async function systemdReason(r: Resolved): Promise<string | undefined> {
  const res = await r.systemctl(['--user', 'show-environment']);
  if (res.missing) return 'systemctl is not installed';
  if (res.code === 0) return undefined;
  const why = (res.stderr || res.stdout).trim().split('\n')[0] || `exit code ${res.code}`;
  return `no systemd user manager is running (systemctl --user: ${why})`;
}

function unavailable(r: Resolved, reason: string): ServiceOutcome {
  return {
    ok: false,
    lines: [`systemd is not available here: ${reason}.`],
    unitPath: r.unitPath,
    unavailable: { reason, instructions: supervisorInstructions(r.spec) },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function failed(step: string, res: SystemctlResult): string {
  return `systemctl ${step} failed (exit ${res.code}): ${(res.stderr || res.stdout).trim()}`;
}

/**
 * `carapace gateway install`: write the unit (an existing different one is backed up first), reload
 * systemd, then enable and start it. Where systemd is absent nothing is written and `unavailable` says how
 * to run the gateway under another supervisor.
 */
export async function installService(o: ServiceOptions): Promise<ServiceOutcome> {
  const r = await resolve(o);
  const reason = await systemdReason(r);
  if (reason) return unavailable(r, reason);
  if (!(await exists(r.spec.cliPath))) {
    return {
      ok: false,
      lines: [`${r.spec.cliPath} does not exist: build Carapace first (npm run build)`],
      unitPath: r.unitPath,
    };
  }
  const lines: string[] = [];
  const text = renderUnit(r.spec);
  const old = await readFile(r.unitPath, 'utf8').catch(() => undefined);
  if (old !== undefined && old !== text) {
    const backup = await backupFile(r.unitPath);
    lines.push(`kept the previous unit as ${backup}`);
  }
  await mkdir(join(r.unitPath, '..'), { recursive: true });
  await writeFileAtomic(r.unitPath, text, { mode: 0o644 });
  lines.push(`wrote ${r.unitPath}`);
  const lock = await readLockFile(o.paths.lockPath);
  if (lock.kind === 'held' && lockHolderLive(lock.lock, await probeProcess(lock.lock.pid))) {
    lines.push(
      `note: a gateway already runs for ${o.paths.stateDir} (pid ${lock.lock.pid}); the service cannot start until it stops`,
    );
  }
  for (const step of [['daemon-reload'], ['enable', '--now', SERVICE_NAME]]) {
    const res = await r.systemctl(['--user', ...step]);
    if (res.code !== 0)
      return { ok: false, lines: [...lines, failed(step.join(' '), res)], unitPath: r.unitPath };
    lines.push(`systemctl --user ${step.join(' ')}`);
  }
  if (o.secretEnvNames?.length) {
    const names = o.secretEnvNames.join(', ');
    lines.push(
      `note: the service does not see your shell's environment: put ${names} (NAME=value lines) in ${serviceEnvFile(o.paths.stateDir)}, mode 0600`,
    );
  }
  lines.push(
    `the gateway runs as ${SERVICE_NAME}; logs: carapace logs --follow`,
    'to keep it running while you are logged out: loginctl enable-linger $USER',
  );
  return { ok: true, lines, unitPath: r.unitPath };
}

/** `carapace gateway uninstall`: stop and disable the service, remove the unit, reload systemd. */
export async function uninstallService(o: ServiceOptions): Promise<ServiceOutcome> {
  const r = await resolve(o);
  const reason = await systemdReason(r);
  if (reason) return unavailable(r, reason);
  if (!(await exists(r.unitPath)))
    return { ok: true, lines: [`not installed (no ${r.unitPath})`], unitPath: r.unitPath };
  const lines: string[] = [];
  const stop = await r.systemctl(['--user', 'disable', '--now', SERVICE_NAME]);
  lines.push(
    stop.code === 0 ? `systemctl --user disable --now ${SERVICE_NAME}` : failed('disable --now', stop),
  );
  await rm(r.unitPath, { force: true });
  lines.push(`removed ${r.unitPath}`);
  const reload = await r.systemctl(['--user', 'daemon-reload']);
  lines.push(reload.code === 0 ? 'systemctl --user daemon-reload' : failed('daemon-reload', reload));
  return { ok: reload.code === 0, lines, unitPath: r.unitPath };
}

const STATUS_PROPERTIES = [
  'LoadState',
  'ActiveState',
  'SubState',
  'MainPID',
  'UnitFileState',
  'NRestarts',
  'ExecMainStartTimestamp',
];

/** `carapace gateway status`: what systemd says about the service (ok when it is active). */
export async function serviceStatus(o: ServiceOptions): Promise<ServiceOutcome> {
  const r = await resolve(o);
  const reason = await systemdReason(r);
  if (reason) return unavailable(r, reason);
  if (!(await exists(r.unitPath))) {
    return {
      ok: false,
      lines: [`not installed (no ${r.unitPath}); install it with: carapace gateway install`],
      unitPath: r.unitPath,
    };
  }
  const res = await r.systemctl([
    '--user',
    'show',
    SERVICE_NAME,
    `--property=${STATUS_PROPERTIES.join(',')}`,
  ]);
  if (res.code !== 0) return { ok: false, lines: [failed('show', res)], unitPath: r.unitPath };
  const state: Record<string, string> = {};
  for (const line of res.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) state[line.slice(0, i)] = line.slice(i + 1);
  }
  const active = state.ActiveState === 'active';
  const pid = state.MainPID && state.MainPID !== '0' ? `, pid ${state.MainPID}` : '';
  const since = state.ExecMainStartTimestamp ? `, since ${state.ExecMainStartTimestamp}` : '';
  const lines = [
    `${SERVICE_NAME}: ${state.ActiveState ?? 'unknown'} (${state.SubState ?? '?'})${pid}${since}`,
    `enabled: ${state.UnitFileState ?? '?'}; restarts: ${state.NRestarts ?? '?'}; unit: ${r.unitPath}`,
  ];
  return { ok: active, lines, unitPath: r.unitPath, state };
}

/** `carapace gateway restart`: restart the installed service. */
export async function restartService(o: ServiceOptions): Promise<ServiceOutcome> {
  const r = await resolve(o);
  const reason = await systemdReason(r);
  if (reason) return unavailable(r, reason);
  if (!(await exists(r.unitPath))) {
    return {
      ok: false,
      lines: [`not installed (no ${r.unitPath}); install it with: carapace gateway install`],
      unitPath: r.unitPath,
    };
  }
  const res = await r.systemctl(['--user', 'restart', SERVICE_NAME]);
  if (res.code !== 0) return { ok: false, lines: [failed('restart', res)], unitPath: r.unitPath };
  return { ok: true, lines: [`systemctl --user restart ${SERVICE_NAME}`], unitPath: r.unitPath };
}
