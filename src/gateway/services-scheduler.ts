import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChannelManager } from '../channels/index.js';
import type { Config, StatePaths } from '../config/index.js';
import { agentIds, defaultAgentId } from '../routing/index.js';
import {
  type DeliveryTarget,
  resolveHeartbeats,
  Scheduler,
  type SchedulerPorts,
} from '../scheduler/index.js';
import { type Clock, newId } from '../shared/index.js';
import type { Logger } from './logger.js';
import type { RunService } from './runs/run-service.js';
import type { GatewaySessions } from './sessions.js';

/** What the scheduler needs from the gateway that hosts it. */
export interface SchedulerHost {
  config(): Config;
  paths: Pick<StatePaths, 'cronDir'>;
  clock: Clock;
  logger: Logger;
  broadcast(event: string, payload: unknown): void;
}

/** Scheduler settings from config (also applied on hot reload). */
export function schedulerSettings(config: Config) {
  return {
    enabled: config.cron.enabled,
    maxConcurrentRuns: config.cron.maxConcurrentRuns,
    runLogMaxEntries: config.cron.runLogMaxEntries,
    heartbeats: resolveHeartbeats(config.heartbeat, agentIds(config)),
  };
}

/** The recipient the agent last talked with on a channel (its most recently updated such session). */
async function lastTarget(sessions: GatewaySessions, agentId: string): Promise<DeliveryTarget | undefined> {
  const e = (await sessions.entries(agentId)).find((s) => s.lastChannel && s.lastTo);
  if (!e?.lastChannel || !e.lastTo) return undefined;
  return { channel: e.lastChannel, to: e.lastTo, ...(e.lastAccountId ? { accountId: e.lastAccountId } : {}) };
}

/** A scheduler or webhook turn through the run path (not durable: the caller keeps its own record). */
export function schedulerTurn(clock: Clock, runs: RunService): SchedulerPorts['runTurn'] {
  return async (req) => {
    const turn = {
      v: 1 as const,
      runId: `cron:${newId()}`,
      method: 'cron' as const,
      sessionKey: req.sessionKey,
      agentId: req.agentId,
      message: req.message,
      acceptedAt: clock.now(),
      ...(req.heartbeat ? { heartbeat: true } : {}),
      ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}),
      ...(req.model ? { model: req.model } : {}),
    };
    const sub = await runs.submit(turn, { durable: false });
    if (sub.duplicate) return { status: 'error', text: '', error: 'duplicate run' };
    const onAbort = () => runs.abort(turn.sessionKey, { clearQueue: false, runId: turn.runId });
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const outcome = await sub.outcome.finally(() => req.signal?.removeEventListener('abort', onAbort));
    if (outcome.status !== 'ok') return { status: 'error', text: '', error: outcome.error.message };
    const r = outcome.result;
    const u = r.usage;
    const tokens = u.input + u.output + u.cacheRead + u.cacheWrite;
    if (r.status === 'ok') return { status: 'ok', text: r.text, tokens };
    return {
      status: r.status === 'error' ? 'error' : 'timeout',
      text: r.text,
      tokens,
      ...(r.error ? { error: r.error.message } : {}),
    };
  };
}

/** Cron jobs and heartbeats run agent turns through the run path. */
export function createScheduler(
  host: SchedulerHost,
  runs: RunService,
  channels: ChannelManager,
  sessions: GatewaySessions,
) {
  return new Scheduler({
    cronDir: host.paths.cronDir,
    clock: host.clock,
    ...schedulerSettings(host.config()),
    agents: () => ({ defaultId: defaultAgentId(host.config()), ids: agentIds(host.config()) }),
    log: { warn: (message, data) => host.logger.warn(data ?? {}, message) },
    ports: {
      runTurn: schedulerTurn(host.clock, runs),
      systemEvent: (_agentId, sessionKey, text) => runs.notify(sessionKey, text),
      deliver: async (r) => {
        await channels.send({ ...r, idempotencyKey: newId() });
      },
      emit: (event: 'cron' | 'heartbeat', payload: unknown) => host.broadcast(event, payload),
      heartbeatFile: (agentId) =>
        readFile(join(sessions.agent(agentId).workspaceDir, 'HEARTBEAT.md'), 'utf8').catch(() => undefined),
      lastTarget: (agentId) => lastTarget(sessions, agentId),
    },
  });
}
