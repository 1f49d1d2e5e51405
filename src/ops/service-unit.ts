import { join } from 'node:path';

/** The systemd user unit's name. */
export const SERVICE_NAME = 'carapace-gateway.service';

/** What the service runs and with which environment. */
export interface ServiceSpec {
  /** Absolute path of node. */
  nodePath: string;
  /** Absolute path of dist/cli/main.js. */
  cliPath: string;
  stateDir: string;
  /** The gateway's logs dir (`StatePaths.logsDir`, the one it writes gateway.jsonl to): supervisor.log goes there too. */
  logsDir: string;
  /** Set only when the config is not `<stateDir>/carapace.json`. */
  configPath?: string | undefined;
  /** PATH for the service (tools and skills look programs up on it). */
  pathEnv?: string | undefined;
}

/** Optional `KEY=value` lines (0600) the unit reads: secrets referenced as env vars go here. */
export function serviceEnvFile(stateDir: string): string {
  return join(stateDir, 'service.env');
}

/** Quote one word for a systemd directive: `%` → `%%`, `$` → `$$` (ExecStart), `"` and `\` escaped. */
export function systemdQuote(word: string, exec = false): string {
  let out = word.replaceAll('%', '%%');
  if (exec) out = out.replaceAll('$', '$$$$');
  if (!/[\s"'\\;]/.test(out) && out !== '') return out;
  return `"${out.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function environment(spec: ServiceSpec): [string, string][] {
  const env: [string, string][] = [['CARAPACE_STATE_DIR', spec.stateDir]];
  if (spec.configPath) env.push(['CARAPACE_CONFIG_PATH', spec.configPath]);
  if (spec.pathEnv) env.push(['PATH', spec.pathEnv]);
  return env;
}

/** The text of `carapace-gateway.service`: `gateway run` under node, restarted when it fails. */
export function renderUnit(spec: ServiceSpec): string {
  const exec = [spec.nodePath, spec.cliPath, 'gateway', 'run'].map((w) => systemdQuote(w, true)).join(' ');
  return [
    '# Written by `carapace gateway install`; `carapace gateway uninstall` removes it.',
    '[Unit]',
    'Description=Carapace gateway',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    ...environment(spec).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`),
    `EnvironmentFile=-${systemdQuote(serviceEnvFile(spec.stateDir))}`,
    'Restart=on-failure',
    'RestartSec=5',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** Quote a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** How to run the gateway under another supervisor: a shell loop, runit and supervisord. */
export function supervisorInstructions(spec: ServiceSpec): string {
  const env = environment(spec).filter(([k]) => k !== 'PATH');
  const cmd = [spec.nodePath, spec.cliPath, 'gateway', 'run'].map(shellQuote).join(' ');
  const log = join(spec.logsDir, 'supervisor.log');
  const envFile = serviceEnvFile(spec.stateDir);
  const loadEnv = `if [ -f ${shellQuote(envFile)} ]; then set -a; . ${shellQuote(envFile)}; set +a; fi`;
  const exports = env.map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  const loop = [loadEnv, ...exports, `until ${cmd}; do sleep 5; done`].join('; ');
  return [
    'Without systemd, run the gateway under another supervisor, for example:',
    '',
    '  # a shell loop (restarts it when it fails; stop with kill on the loop, then the gateway)',
    `  mkdir -p ${shellQuote(spec.logsDir)} && nohup sh -c ${shellQuote(loop)} >> ${shellQuote(log)} 2>&1 &`,
    '',
    '  # runit: save as ~/service/carapace-gateway/run (chmod +x), then: sv up ~/service/carapace-gateway',
    '  #!/bin/sh',
    '  exec 2>&1',
    `  ${loadEnv}`,
    ...exports.map((line) => `  ${line}`),
    `  exec ${cmd}`,
    '',
    '  # supervisord: add to supervisord.conf, then: supervisorctl reread && supervisorctl update',
    '  [program:carapace-gateway]',
    `  command=${cmd}`,
    `  environment=${env.map(([k, v]) => `${k}="${v.replaceAll('"', '\\"')}"`).join(',')}`,
    '  autorestart=unexpected',
    '  stopsignal=TERM',
    '  stopwaitsecs=30',
    `  stdout_logfile=${log}`,
    '  redirect_stderr=true',
    '',
    `Secrets referenced as environment variables must be set for the supervisor too (e.g. in ${envFile}).`,
    '',
  ].join('\n');
}
