import pc from 'picocolors';
import { loadConfig, processEnvironment } from '../../config/index.js';
import {
  envSecretNames,
  installService,
  restartService,
  type ServiceOptions,
  type ServiceOutcome,
  serviceStatus,
  uninstallService,
} from '../../ops/index.js';
import { type CliContext, type StateFlags, statePaths } from '../context.js';
import { formatJson } from '../format.js';

/** Flags of `carapace gateway install|uninstall|status|restart`. */
export interface ServiceFlags extends StateFlags {
  json?: boolean;
}

const ACTIONS = {
  install: installService,
  uninstall: uninstallService,
  status: serviceStatus,
  restart: restartService,
} as const;

/** The env vars the config reads secrets from (none when the config does not load: doctor tells why). */
async function secretEnvNames(options: ServiceOptions): Promise<string[]> {
  try {
    return envSecretNames((await loadConfig({ paths: options.paths, env: options.env })).config);
  } catch {
    return [];
  }
}

/**
 * The gateway as a systemd user service. Where systemd is absent: say so on stderr, print how to run it
 * under another supervisor, exit 1.
 */
export async function serviceCommand(
  ctx: CliContext,
  action: keyof typeof ACTIONS,
  flags: ServiceFlags,
): Promise<number> {
  const options: ServiceOptions = { paths: statePaths(flags), env: processEnvironment() };
  if (action === 'install') options.secretEnvNames = await secretEnvNames(options);
  const outcome: ServiceOutcome = await ACTIONS[action](options);
  if (flags.json) {
    ctx.io.out(formatJson(outcome, true));
    return outcome.ok ? 0 : 1;
  }
  if (outcome.unavailable) {
    ctx.io.err(`${pc.red('error:')} systemd is not available here: ${outcome.unavailable.reason}.\n`);
    ctx.io.out(outcome.unavailable.instructions);
    return 1;
  }
  const write = outcome.ok ? (s: string) => ctx.io.out(s) : (s: string) => ctx.io.err(s);
  for (const line of outcome.lines) write(`${line}\n`);
  return outcome.ok ? 0 : 1;
}
