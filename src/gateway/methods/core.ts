import {
  type HealthResult,
  METHOD_SPECS,
  type PresenceEntry,
  type StatusResult,
} from '../../protocol/index.js';
import type { MethodRegistry } from '../registry.js';

export interface CoreMethodDeps {
  health(): HealthResult;
  status(): StatusResult;
  presence(): PresenceEntry[];
}

/** `health`, `status`, `system-presence`: read-only views of the gateway. */
export function registerCoreMethods(registry: MethodRegistry, deps: CoreMethodDeps): void {
  registry.register('health', { spec: METHOD_SPECS.health, handler: () => deps.health() });
  registry.register('status', { spec: METHOD_SPECS.status, handler: () => deps.status() });
  registry.register('system-presence', {
    spec: METHOD_SPECS['system-presence'],
    handler: () => deps.presence(),
  });
}
