/**
 * scheduler: cron jobs (at / every / cron with a zone) stored in `<stateDir>/cron/jobs.json` with a run
 * log per job, run exactly once per slot across restarts; per-agent heartbeats; `wake` events; the
 * `cron` agent tool; human-friendly duration and time parsing. The gateway implements the ports.
 * See README.md.
 */
export type { ExecOutcome } from './execute.js';
export type { HeartbeatSettings } from './heartbeat-settings.js';
export {
  DEFAULT_HEARTBEAT_PROMPT,
  HEARTBEAT_ACK_MAX_CHARS,
  HEARTBEAT_OK,
  heartbeatFileIsEmpty,
  inActiveHours,
  isHeartbeatAck,
  resolveHeartbeats,
} from './heartbeat-settings.js';
export type { AgentDirectory } from './jobs.js';
export {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffMs,
  CRON_JOB_NOT_FOUND,
  createJob,
  patchJob,
  UNKNOWN_AGENT_ID,
} from './jobs.js';
export type { RunResult, SchedulerOptions, SchedulerSettings } from './options.js';
export { CRON_JOB_INVALID, formatEvery, parseAt, parseEvery } from './parse.js';
export type {
  DeliveryRequest,
  DeliveryTarget,
  SchedulerLog,
  SchedulerPorts,
  Timers,
  TurnOutcome,
  TurnRequest,
} from './ports.js';
export { systemTimers } from './ports.js';
export type { RunRecord, RunTrigger } from './run-log.js';
export { compileCron } from './schedule.js';
export { Scheduler } from './scheduler.js';
export type { CronToolOptions } from './tool.js';
export { createCronTool } from './tool.js';
