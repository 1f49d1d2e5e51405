import type { CronEvent, CronRunStatus } from '../protocol/index.js';
import { applyOutcome } from './jobs.js';
import type { EndRecord, RunLog } from './run-log.js';
import type { JobStore } from './store.js';
import type { JobTable } from './table.js';

/** The outcome of a run as `applyOutcome` takes it. */
export function outcomeOf(end: EndRecord): { status: CronRunStatus; startedAt: number; error?: string } {
  return {
    status: end.status,
    startedAt: end.startedAt,
    ...(end.error === undefined ? {} : { error: end.error }),
  };
}

/** The `cron` event for the end of a run. */
export function finishedEvent(end: EndRecord, nextRunAtMs: number | undefined): CronEvent {
  const e: CronEvent = {
    jobId: end.jobId,
    action: 'finished',
    runId: end.runId,
    scheduledAt: end.scheduledAt,
    status: end.status,
    durationMs: end.endedAt - end.startedAt,
  };
  if (end.error !== undefined) e.error = end.error;
  if (end.summary !== undefined) e.summary = end.summary;
  if (nextRunAtMs !== undefined) e.nextRunAtMs = nextRunAtMs;
  return e;
}

/**
 * Load the jobs into `table` and reconcile them with their run logs: a run that started and never ended
 * (the process died) gets an `interrupted` end record now and is not repeated; an end that jobs.json
 * missed (a crash between the two writes) is folded into the job. Returns whether jobs.json needs a
 * write and which jobs are finished one-shots to delete.
 */
export async function recoverJobs(
  table: JobTable,
  store: JobStore,
  log: RunLog,
  now: number,
): Promise<{ dirty: boolean; deleted: string[] }> {
  let dirty = false;
  const deleted: string[] = [];
  for (const job of await store.load()) {
    table.set(job);
    const hist = await log.history(job.id);
    let last = hist.lastEnd;
    if (hist.open) {
      last = { ...hist.open, type: 'end', endedAt: now, status: 'interrupted' };
      last.error = 'the gateway stopped during this run; it is not repeated';
      await log.append(last);
    }
    table.setHistory(job.id, hist.highWater, last?.endedAt);
    if (last && !(last.startedAt <= (job.state.lastRunAtMs ?? Number.NEGATIVE_INFINITY))) {
      dirty = true;
      if (applyOutcome(job, outcomeOf(last)) === 'delete') {
        table.delete(job.id);
        deleted.push(job.id);
        continue;
      }
    }
    const before = job.state.nextRunAtMs;
    table.refresh(job);
    if (job.state.nextRunAtMs !== before) dirty = true;
  }
  return { dirty, deleted };
}
