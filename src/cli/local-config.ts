import {
  type Config,
  type ConfigIssue,
  formatConfigIssues,
  loadConfig,
  type StatePaths,
} from '../config/index.js';
import { isCarapaceError } from '../shared/index.js';
import { type CliContext, type StateFlags, statePaths } from './context.js';

/** The effective config and where it came from, for commands that work without a gateway. */
export interface LocalConfig {
  config: Config;
  paths: StatePaths;
  /** False when there is no config file (every setting has its default). */
  exists: boolean;
}

/**
 * Load the config the way the gateway would (`$include`, `${VAR}`, env layer, defaults). An invalid config
 * prints every issue with its path on stderr and resolves undefined (the command exits 1).
 */
export async function loadLocalConfig(ctx: CliContext, flags: StateFlags): Promise<LocalConfig | undefined> {
  const paths = statePaths(flags);
  try {
    const loaded = await loadConfig({ paths });
    return { config: loaded.config, paths, exists: loaded.exists };
  } catch (err) {
    if (!isCarapaceError(err, 'CONFIG_INVALID')) throw err;
    const issues = (err.details?.issues as ConfigIssue[] | undefined) ?? [];
    ctx.io.err(`${issues.length ? formatConfigIssues(issues, paths.configPath) : err.message}\n`);
    return undefined;
  }
}
