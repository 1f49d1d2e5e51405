import pc from 'picocolors';
import type { CronJob, CronRunEntry, CronStatus } from '../../protocol/index.js';
import { CarapaceError } from '../../shared/index.js';
import type { GatewayClient } from '../client/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, usageError, withGateway } from '../context.js';
import { formatJson } from '../format.js';
import { type CronJobFlags, jobInputFromFlags, jobPatchFromFlags } from './cron-flags.js';
import { formatCronStatus, formatJob, formatJobTable, formatRuns } from './cron-format.js';

type Flags = ConnectionFlags & StateFlags & { json?: boolean };

/**
 * The job a command names: its id, a unique id prefix (4+ characters) or its exact name. Throws
 * CRON_JOB_NOT_FOUND (exit 1) or a usage error for an ambiguous reference.
 */
export async function findJob(client: GatewayClient, ref: string): Promise<CronJob> {
  const { jobs } = await client.call<{ jobs: CronJob[] }>('cron.list', { includeDisabled: true });
  const exact = jobs.find((j) => j.id === ref);
  if (exact) return exact;
  const byName = jobs.filter((j) => j.name === ref);
  const byPrefix = ref.length >= 4 ? jobs.filter((j) => j.id.startsWith(ref)) : [];
  const found = byName.length > 0 ? byName : byPrefix;
  if (found.length === 1) return found[0] as CronJob;
  if (found.length > 1) {
    throw usageError(
      `'${ref}' matches ${found.length} jobs (${found.map((j) => j.id).join(', ')}): give the full id`,
    );
  }
  throw new CarapaceError('CRON_JOB_NOT_FOUND', `no cron job '${ref}' (see carapace cron list)`, {
    details: { jobId: ref },
  });
}

/** `carapace cron status`: is the scheduler on, how many jobs, what runs, when the next one is due. */
export function cronStatus(ctx: CliContext, flags: Flags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const status = await client.call<CronStatus>('cron.status', {});
    ctx.io.out(flags.json ? formatJson(status, false) : formatCronStatus(status));
    return 0;
  });
}

/** `carapace cron list`: jobs by next run (disabled ones with --all). */
export function cronList(ctx: CliContext, flags: Flags & { all?: boolean; agent?: string }): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const { jobs } = await client.call<{ jobs: CronJob[] }>('cron.list', {
      includeDisabled: flags.all === true,
      ...(flags.agent ? { agentId: flags.agent } : {}),
    });
    if (flags.json) {
      ctx.io.out(formatJson({ jobs }, false));
      return 0;
    }
    if (jobs.length === 0) {
      ctx.io.out(
        `no ${flags.all ? '' : 'enabled '}cron jobs${flags.all ? '' : ' (--all shows disabled ones too)'}\n`,
      );
      return 0;
    }
    ctx.io.out(formatJobTable(jobs));
    return 0;
  });
}

/** `carapace cron add`: a new job from human-friendly flags (checked here before the gateway sees it). */
export async function cronAdd(ctx: CliContext, flags: Flags & CronJobFlags): Promise<number> {
  const input = jobInputFromFlags(flags);
  return withGateway(ctx, flags, async (client) => {
    const job = await client.call<CronJob>('cron.add', input);
    ctx.io.out(flags.json ? formatJson(job, false) : `${pc.green('added')} ${formatJob(job)}`);
    return 0;
  });
}

/** `carapace cron edit <job>`: change what the flags name; the rest stays. */
export function cronEdit(ctx: CliContext, ref: string, flags: Flags & CronJobFlags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const job = await findJob(client, ref);
    const patch = jobPatchFromFlags(job, flags);
    const updated = await client.call<CronJob>('cron.update', { id: job.id, patch });
    ctx.io.out(flags.json ? formatJson(updated, false) : `${pc.green('updated')} ${formatJob(updated)}`);
    return 0;
  });
}

/** `carapace cron rm <job>`: remove a job and its run log. */
export function cronRemove(ctx: CliContext, ref: string, flags: Flags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const job = await findJob(client, ref);
    const res = await client.call<{ ok: true; removed: boolean }>('cron.remove', { id: job.id });
    ctx.io.out(flags.json ? formatJson({ ...res, id: job.id }, false) : `removed ${job.name} (${job.id})\n`);
    return 0;
  });
}

/** `carapace cron run <job>`: run it now (`--due`: only if it is due). */
export function cronRun(ctx: CliContext, ref: string, flags: Flags & { due?: boolean }): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const job = await findJob(client, ref);
    const res = await client.call<{ ok: true; ran: boolean; runId?: string; reason?: string }>('cron.run', {
      id: job.id,
      mode: flags.due ? 'due' : 'force',
    });
    if (flags.json) ctx.io.out(formatJson(res, false));
    else if (res.ran)
      ctx.io.out(`started ${job.name} (run ${res.runId}); see carapace cron runs ${job.id}\n`);
    else ctx.io.out(`${job.name} did not run: ${res.reason ?? 'unknown reason'}\n`);
    return 0;
  });
}

/** `carapace cron runs <job>`: the run log, newest first. */
export function cronRuns(ctx: CliContext, ref: string, flags: Flags & { limit?: number }): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const job = await findJob(client, ref);
    const res = await client.call<{ jobId: string; entries: CronRunEntry[] }>('cron.runs', {
      id: job.id,
      limit: Math.min(flags.limit ?? 20, 1000),
    });
    if (flags.json) ctx.io.out(formatJson(res, false));
    else if (res.entries.length === 0) ctx.io.out(`${job.name} has not run yet\n`);
    else ctx.io.out(formatRuns(res.entries));
    return 0;
  });
}
