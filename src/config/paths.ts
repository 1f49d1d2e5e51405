import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Where every piece of state lives (ARCHITECTURE.md, "State on disk"). */
export interface StatePaths {
  stateDir: string;
  configPath: string;
  lockPath: string;
  credentialsDir: string;
  /** The gateway's shared secret, generated on first start (0600). */
  tokenPath: string;
  logsDir: string;
  agentsDir: string;
  workspaceDir: string;
  skillsDir: string;
  cronDir: string;
  /** Persisted idempotency records. */
  idempotencyPath: string;
}

export interface PathOverrides {
  stateDir?: string | undefined;
  configPath?: string | undefined;
}

/**
 * Resolve the state paths. Precedence: explicit overrides (CLI flags) > `CARAPACE_STATE_DIR` /
 * `CARAPACE_CONFIG_PATH` > `~/.carapace`. `env` defaults to `process.env`; this folder is the only one
 * that reads the environment.
 */
export function resolvePaths(
  overrides: PathOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): StatePaths {
  const home = env.HOME || homedir();
  const expand = (p: string) => (p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p);
  const abs = (p: string) => (isAbsolute(expand(p)) ? expand(p) : resolve(expand(p)));
  const stateDir = abs(overrides.stateDir ?? env.CARAPACE_STATE_DIR ?? join(home, '.carapace'));
  const configPath = abs(overrides.configPath ?? env.CARAPACE_CONFIG_PATH ?? join(stateDir, 'carapace.json'));
  const credentialsDir = join(stateDir, 'credentials');
  return {
    stateDir,
    configPath,
    lockPath: join(stateDir, 'gateway.lock'),
    credentialsDir,
    tokenPath: join(credentialsDir, 'gateway-token'),
    logsDir: join(stateDir, 'logs'),
    agentsDir: join(stateDir, 'agents'),
    workspaceDir: join(stateDir, 'workspace'),
    skillsDir: join(stateDir, 'skills'),
    cronDir: join(stateDir, 'cron'),
    idempotencyPath: join(stateDir, 'gateway', 'idempotency.jsonl'),
  };
}
