import { join } from 'node:path';
import type { Config, StatePaths } from '../config/index.js';
import type { Clock } from '../shared/index.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Logger } from './logger.js';
import { agentFinal } from './methods/agent.js';
import { RunService } from './runs/run-service.js';
import { GatewaySessions } from './sessions.js';
import { seedWorkspace } from './workspace-seed.js';

/** What the subsystems need from the gateway that hosts them. */
export interface ServiceHost {
  config(): Config;
  paths: StatePaths;
  clock: Clock;
  env: NodeJS.ProcessEnv | undefined;
  logger: Logger;
  idempotency: IdempotencyStore;
  broadcast(event: string, payload: unknown): void;
  /** The gateway's own secret (for scrubbing tool output). */
  secret(): string | undefined;
}

export interface Services {
  sessions: GatewaySessions;
  runs: RunService;
}

/** Build the subsystems behind the methods: session stores and the run path. Seeds agent workspaces. */
export async function createServices(host: ServiceHost): Promise<Services> {
  const sessions = new GatewaySessions({
    config: host.config,
    paths: host.paths,
    clock: host.clock,
    onChange: (change) =>
      host.broadcast('sessions.changed', {
        sessionKey: change.sessionKey,
        agentId: change.agentId,
        sessionId: change.sessionId,
        reason: change.kind,
        ts: host.clock.now(),
      }),
    onRepair: (info) => host.logger.warn(info, 'transcript repaired after an unclean stop'),
  });
  const runs = new RunService({
    config: host.config,
    env: host.env,
    sessions,
    inboxPath: join(host.paths.stateDir, 'gateway', 'inbox.jsonl'),
    clock: host.clock,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    broadcast: (event, payload) => host.broadcast(event, payload),
    secrets: () => {
      const s = host.secret();
      return s ? [s] : [];
    },
    logger: host.logger,
    onRecoveredFinal: (req, outcome) => {
      void host.idempotency.finish('agent', req.runId, { ok: true, payload: agentFinal(req.runId, outcome) });
    },
  });
  // A new agent workspace gets starter files (an existing file is never touched).
  for (const agent of sessions.agents()) {
    const created = await seedWorkspace(agent.workspaceDir);
    if (created.length > 0) host.logger.info({ agentId: agent.id, created }, 'workspace seeded');
  }
  return { sessions, runs };
}
