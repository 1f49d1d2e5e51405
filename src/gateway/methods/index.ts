import type { LoadedConfig } from '../../config/index.js';
import type { HealthResult, PresenceEntry, StatusResult } from '../../protocol/index.js';
import type { Clock } from '../../shared/index.js';
import type { MethodRegistry } from '../registry.js';
import type { Services } from '../services.js';
import { registerAgentMethods } from './agent.js';
import { registerApprovalMethods } from './approvals.js';
import { registerChannelMethods } from './channels.js';
import { registerConfigMethods } from './config.js';
import { registerCoreMethods } from './core.js';
import { registerCronMethods } from './cron.js';
import { registerLogMethods } from './logs.js';
import { registerSessionMethods } from './sessions.js';

export interface AllMethodDeps {
  services: Services;
  clock: Clock;
  env: NodeJS.ProcessEnv | undefined;
  loaded(): LoadedConfig;
  reload(): Promise<{ hotReloaded: string[]; restartRequired: string[] }>;
  health(): HealthResult;
  status(): StatusResult;
  presence(): PresenceEntry[];
  logFile(): string;
  flushLogs(): void;
}

/** Every method the gateway serves, registered in one place. */
export function registerAllMethods(registry: MethodRegistry, deps: AllMethodDeps): void {
  const { sessions, runs } = deps.services;
  registerCoreMethods(registry, { health: deps.health, status: deps.status, presence: deps.presence });
  registerConfigMethods(registry, { current: deps.loaded, env: deps.env, reload: deps.reload });
  registerLogMethods(registry, { logFile: deps.logFile, flush: deps.flushLogs });
  registerSessionMethods(registry, {
    sessions,
    abort: (key, opts) => {
      // Reset/delete/abort also end the session's background processes.
      if (opts.clearQueue) void deps.services.exec.registry.killSession(key);
      return runs.abort(key, opts);
    },
  });
  registerAgentMethods(registry, { config: () => deps.loaded().config, sessions, runs, clock: deps.clock });
  registerChannelMethods(registry, { channels: deps.services.channels });
  registerApprovalMethods(registry, { broker: deps.services.broker, store: deps.services.approvals });
  registerCronMethods(registry, { scheduler: deps.services.scheduler });
}
