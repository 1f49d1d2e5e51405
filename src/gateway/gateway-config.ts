import type { ChannelManager } from '../channels/index.js';
import {
  type Config,
  ConfigWatcher,
  type LoadedConfig,
  type ReloadPlan,
  type StatePaths,
} from '../config/index.js';
import type { Scheduler } from '../scheduler/index.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Logger } from './logger.js';
import type { FailureLimiter } from './rate-limit.js';
import type { RunService } from './runs/run-service.js';
import { schedulerSettings } from './services-scheduler.js';

/** The CLI flags that become config overrides (the top config layer). */
export interface ConfigFlags {
  port?: number | undefined;
  bind?: string | undefined;
}

/** The config overrides of the CLI flags (`--port`, `--bind`); empty when neither is given. */
export function flagOverrides(flags: ConfigFlags): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  if (flags.port !== undefined || flags.bind !== undefined) {
    overrides.gateway = {
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      ...(flags.bind !== undefined ? { bind: flags.bind } : {}),
    };
  }
  return overrides;
}

/** What a reload reports: the changed paths applied now, and those that wait for a restart. */
export interface ReloadResult {
  hotReloaded: string[];
  restartRequired: string[];
}

/** The parts of a running gateway a config change reaches. */
export interface HotReloadTargets {
  logger: Logger;
  limiter: FailureLimiter;
  idempotency: IdempotencyStore;
  runs: RunService;
  channels: Pick<ChannelManager, 'reload'>;
  scheduler: Pick<Scheduler, 'configure'>;
  /** Restart the `tick` timer with the new interval. */
  restartTick(): void;
  /** Re-resolve the gateway secret (closing connections made with the old one when it changed). */
  rotateSecret(): Promise<void>;
}

/**
 * Apply a planned config change to a running gateway: log level, auth rate limit, idempotency limits,
 * the run path, tick interval, secret, channels and scheduler. Fields that need a restart are only logged.
 */
export async function applyReloadPlan(
  plan: ReloadPlan,
  c: Config,
  t: HotReloadTargets,
): Promise<ReloadResult> {
  if (plan.changed.length === 0) return { hotReloaded: [], restartRequired: [] };
  t.logger.level = c.logging.level;
  t.limiter.setPolicy(c.gateway.auth.rateLimit);
  t.idempotency.setLimits(c.gateway.idempotency.ttlMs, c.gateway.idempotency.maxEntries);
  t.runs.configure(c);
  if (plan.changed.some((p) => p.startsWith('gateway.tickIntervalMs'))) t.restartTick();
  if (plan.changed.some((p) => p.startsWith('gateway.auth'))) await t.rotateSecret();
  if (plan.changed.some((p) => p.startsWith('channels'))) await t.channels.reload();
  t.scheduler.configure(schedulerSettings(c));
  if (plan.restart.length > 0) {
    t.logger.warn({ paths: plan.restart }, 'config changed in fields that need a gateway restart');
  }
  t.logger.info({ hot: plan.hot, restart: plan.restart }, 'config reloaded');
  return { hotReloaded: plan.hot, restartRequired: plan.restart };
}

/** How the gateway follows its config file. */
export interface GatewayConfigWatchOptions {
  paths: StatePaths;
  /** The environment config layering reads (the process's own when undefined). */
  env: NodeJS.ProcessEnv | undefined;
  /** The CLI flags: the top config layer. */
  overrides: Record<string, unknown>;
  initial: LoadedConfig;
  /** A new valid config was loaded. */
  apply(loaded: LoadedConfig): Promise<unknown>;
  logger: Logger;
}

/** A (not yet started) watcher of the config file: a refused change is logged and the running config stays. */
export function createConfigWatcher(o: GatewayConfigWatchOptions): ConfigWatcher {
  return new ConfigWatcher({
    paths: o.paths,
    ...(o.env ? { env: o.env } : {}),
    overrides: o.overrides,
    initial: o.initial,
    onChange: async (loaded) => {
      await o.apply(loaded);
    },
    onError: (err) => o.logger.error({ err: String(err) }, 'config change refused; the running config stays'),
  });
}
