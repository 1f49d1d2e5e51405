import {
  type CronJob,
  type CronJobInput,
  type CronJobPatch,
  METHOD_SPECS,
  type WakeParams,
} from '../../protocol/index.js';
import type { Scheduler } from '../../scheduler/index.js';
import { CarapaceError } from '../../shared/index.js';
import type { MethodRegistry } from '../registry.js';

export interface CronMethodDeps {
  scheduler: Pick<Scheduler, 'status' | 'list' | 'runs' | 'add' | 'update' | 'remove' | 'run' | 'wake'>;
}

interface JobRef {
  id?: string;
  jobId?: string;
}

/** The job a method names: `id`, or its alias `jobId`. */
function jobId(params: JobRef, method: string): string {
  const id = params.id ?? params.jobId;
  if (!id) {
    throw new CarapaceError(
      'INVALID_PARAMS',
      `invalid ${method} params: at root: missing required property 'id'`,
    );
  }
  return id;
}

/** `cron.*` and `wake` over the scheduler. Unknown jobs fail with details.code CRON_JOB_NOT_FOUND. */
export function registerCronMethods(registry: MethodRegistry, deps: CronMethodDeps): void {
  const { scheduler } = deps;
  registry.register('cron.status', { spec: METHOD_SPECS['cron.status'], handler: () => scheduler.status() });
  registry.register('cron.list', {
    spec: METHOD_SPECS['cron.list'],
    handler: (p: { includeDisabled?: boolean; agentId?: string }) => ({ jobs: scheduler.list(p) }),
  });
  registry.register('cron.runs', {
    spec: METHOD_SPECS['cron.runs'],
    handler: async (p: JobRef & { limit?: number }) => {
      const id = jobId(p, 'cron.runs');
      return { jobId: id, entries: await scheduler.runs(id, { limit: p.limit ?? 50 }) };
    },
  });
  registry.register('cron.add', {
    spec: METHOD_SPECS['cron.add'],
    handler: (p: CronJobInput): Promise<CronJob> => scheduler.add(p),
  });
  registry.register('cron.update', {
    spec: METHOD_SPECS['cron.update'],
    handler: (p: JobRef & { patch: CronJobPatch }) => scheduler.update(jobId(p, 'cron.update'), p.patch),
  });
  registry.register('cron.remove', {
    spec: METHOD_SPECS['cron.remove'],
    handler: async (p: JobRef) => {
      await scheduler.remove(jobId(p, 'cron.remove'));
      return { ok: true as const, removed: true };
    },
  });
  registry.register('cron.run', {
    spec: METHOD_SPECS['cron.run'],
    handler: async (p: JobRef & { mode?: 'due' | 'force' }) => {
      const r = await scheduler.run(jobId(p, 'cron.run'), { force: (p.mode ?? 'force') === 'force' });
      return {
        ok: true as const,
        ran: r.ran,
        ...(r.runId ? { runId: r.runId } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
      };
    },
  });
  registry.register('wake', {
    spec: METHOD_SPECS.wake,
    handler: async (p: WakeParams) => {
      await scheduler.wake(p);
      return { ok: true as const };
    },
  });
}
