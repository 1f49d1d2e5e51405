import type { CronJob, CronJobInput, CronJobPatch, CronRunStatus, CronSchedule } from '../protocol/index.js';
import { CarapaceError, newId } from '../shared/index.js';
import { CRON_JOB_INVALID, parseAt } from './parse.js';
import { compileCron } from './schedule.js';

/** Error code when a job id names no job. */
export const CRON_JOB_NOT_FOUND = 'CRON_JOB_NOT_FOUND';
/** Error code when a job names an agent the config does not have. */
export const UNKNOWN_AGENT_ID = 'UNKNOWN_AGENT_ID';

/** First retry delay after a failed run; doubles per consecutive failure up to BACKOFF_MAX_MS. */
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_MAX_MS = 60 * 60_000;

/** The delay before a job that failed `consecutiveErrors` times in a row may run again. */
export function backoffMs(consecutiveErrors: number): number {
  if (consecutiveErrors <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(consecutiveErrors - 1, 20));
}

/** The agents a job may name. */
export interface AgentDirectory {
  defaultId: string;
  ids: readonly string[];
}

function invalid(message: string, details: Record<string, unknown> = {}): CarapaceError {
  return new CarapaceError(CRON_JOB_INVALID, message, { details });
}

/** Check a schedule and return it normalized (`at` as a UTC ISO time). */
export function normalizeSchedule(schedule: CronSchedule, nowMs: number): CronSchedule {
  switch (schedule.kind) {
    case 'at':
      return { kind: 'at', at: new Date(parseAt(schedule.at, undefined, nowMs)).toISOString() };
    case 'every':
      if (schedule.anchorMs !== undefined && !Number.isFinite(schedule.anchorMs)) {
        throw invalid('schedule.anchorMs must be an epoch time in milliseconds, e.g. Date.now()');
      }
      return { ...schedule };
    case 'cron': {
      const cron = compileCron(schedule.expr, schedule.tz);
      if (cron.nextRun(new Date(nowMs)) === null) {
        throw invalid(
          `cron expression '${schedule.expr}' never fires (e.g. February 30th): check the day and month fields`,
        );
      }
      return { ...schedule };
    }
  }
}

/** The rules a whole job must follow, each with how to fix it. */
function checkJob(job: CronJob, agents: AgentDirectory | undefined): void {
  if (job.sessionTarget === 'main' && job.payload.kind !== 'systemEvent') {
    throw invalid(
      "sessionTarget 'main' takes a payload of kind 'systemEvent' ({kind:'systemEvent', text}); use sessionTarget 'isolated' for an 'agentTurn'",
    );
  }
  if (job.sessionTarget === 'isolated' && job.payload.kind !== 'agentTurn') {
    throw invalid(
      "sessionTarget 'isolated' takes a payload of kind 'agentTurn' ({kind:'agentTurn', message}); use sessionTarget 'main' for a 'systemEvent'",
    );
  }
  if (job.delivery && job.payload.kind !== 'agentTurn') {
    throw invalid("delivery needs an 'agentTurn' payload: only an isolated run has a result to announce");
  }
  if (!job.name.trim()) throw invalid('name must not be blank: give the job a short label');
  if (job.agentId !== undefined && agents && !agents.ids.includes(job.agentId)) {
    throw new CarapaceError(
      UNKNOWN_AGENT_ID,
      `unknown agent '${job.agentId}': configured agents are ${agents.ids.map((a) => `'${a}'`).join(', ')}`,
      { details: { agentId: job.agentId } },
    );
  }
}

/** A new job from `cron.add` input: id, defaults, normalized schedule, empty state. */
export function createJob(input: CronJobInput, nowMs: number, agents?: AgentDirectory): CronJob {
  const job: CronJob = {
    id: newId(),
    name: input.name.trim(),
    enabled: input.enabled ?? true,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    schedule: normalizeSchedule(input.schedule, nowMs),
    sessionTarget: input.sessionTarget ?? (input.payload.kind === 'systemEvent' ? 'main' : 'isolated'),
    wakeMode: input.wakeMode ?? 'now',
    payload: { ...input.payload },
    state: { consecutiveErrors: 0 },
  };
  if (input.agentId !== undefined) job.agentId = input.agentId;
  if (input.description !== undefined) job.description = input.description;
  if (input.delivery !== undefined) job.delivery = { ...input.delivery };
  if (input.deleteAfterRun !== undefined) job.deleteAfterRun = input.deleteAfterRun;
  checkJob(job, agents);
  return job;
}

/** `job` with `patch` applied (a new object); `updatedAtMs` moves, so missed slots are not caught up. */
export function patchJob(job: CronJob, patch: CronJobPatch, nowMs: number, agents?: AgentDirectory): CronJob {
  const next: CronJob = structuredClone(job);
  next.updatedAtMs = nowMs;
  if (patch.name !== undefined) next.name = patch.name.trim();
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.agentId !== undefined) next.agentId = patch.agentId;
  if (patch.enabled !== undefined) next.enabled = patch.enabled;
  if (patch.schedule !== undefined) next.schedule = normalizeSchedule(patch.schedule, nowMs);
  if (patch.payload !== undefined) {
    next.payload = { ...patch.payload };
    if (patch.sessionTarget === undefined) {
      next.sessionTarget = patch.payload.kind === 'systemEvent' ? 'main' : 'isolated';
    }
  }
  if (patch.sessionTarget !== undefined) next.sessionTarget = patch.sessionTarget;
  if (patch.wakeMode !== undefined) next.wakeMode = patch.wakeMode;
  if (patch.delivery === null) delete next.delivery;
  else if (patch.delivery !== undefined) next.delivery = { ...patch.delivery };
  if (patch.deleteAfterRun !== undefined) next.deleteAfterRun = patch.deleteAfterRun;
  if (patch.schedule !== undefined || patch.enabled) next.state.consecutiveErrors = 0;
  checkJob(next, agents);
  return next;
}

/** How one run ended, as the run log records it. */
export interface RunOutcome {
  status: CronRunStatus;
  startedAt: number;
  error?: string;
}

/**
 * Fold a finished run into the job's state. Returns 'delete' when the job should go (a one-shot with
 * deleteAfterRun that succeeded). A one-shot is disabled after its run either way.
 */
export function applyOutcome(job: CronJob, outcome: RunOutcome): 'keep' | 'delete' {
  const state = job.state;
  state.lastRunAtMs = outcome.startedAt;
  state.lastRunStatus = outcome.status;
  if (outcome.status === 'error' || outcome.status === 'timeout') {
    state.consecutiveErrors += 1;
    state.lastError = outcome.error ?? outcome.status;
  } else if (outcome.status === 'ok') {
    state.consecutiveErrors = 0;
    delete state.lastError;
  } else if (outcome.error) {
    state.lastError = outcome.error;
  }
  if (job.schedule.kind !== 'at') return 'keep';
  if (job.deleteAfterRun && outcome.status === 'ok') return 'delete';
  job.enabled = false;
  delete state.nextRunAtMs;
  return 'keep';
}
