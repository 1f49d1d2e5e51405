import type { CronRunStatus } from '../protocol/index.js';
import type { Clock } from '../shared/index.js';
import type { HeartbeatSettings } from './heartbeat-settings.js';
import type { AgentDirectory } from './jobs.js';
import type { SchedulerLog, SchedulerPorts, Timers } from './ports.js';

export interface SchedulerOptions {
  /** `<stateDir>/cron`: jobs.json and runs/. */
  cronDir: string;
  ports: SchedulerPorts;
  clock?: Clock;
  timers?: Timers;
  log?: SchedulerLog;
  /** `cron.enabled`: when false no job runs (they stay stored). Default true. */
  enabled?: boolean;
  /** Jobs running at once (scheduled runs wait; forced runs do not). Default 1. */
  maxConcurrentRuns?: number;
  /** Lines kept per run log. Default 500. */
  runLogMaxEntries?: number;
  /** Periodic heartbeats by agent id (see `resolveHeartbeats`). */
  heartbeats?: Record<string, HeartbeatSettings>;
  /** The configured agents; jobs may only name these. Default: any agent, `main` by default. */
  agents?: () => AgentDirectory;
  /** Longest single timer wait (a wall-clock jump is noticed within it). Default 60 s. */
  maxTimerMs?: number;
  /** How long `stop()` waits for running jobs after aborting them. Default 10 s. */
  stopGraceMs?: number;
}

/** Settings that may change while running (config hot reload). */
export type SchedulerSettings = Pick<
  SchedulerOptions,
  'enabled' | 'maxConcurrentRuns' | 'runLogMaxEntries' | 'heartbeats'
>;

/** The answer of `run()`. `reason` says why nothing ran. */
export interface RunResult {
  ran: boolean;
  runId?: string;
  reason?: 'not-due' | 'already-running' | 'not-recorded' | 'stopped';
  /** With `wait`: how the run ended. */
  status?: CronRunStatus;
}
