import { join } from 'node:path';
import type { ChannelManager } from '../channels/index.js';
import { type Config, type StatePaths, seedWorkspace } from '../config/index.js';
import { type AgentMemory, MemoryManager } from '../memory/index.js';
import type { RunMetrics } from '../metrics/index.js';
import { agentIds, defaultAgentId } from '../routing/index.js';
import type { Scheduler } from '../scheduler/index.js';
import { type Clock, errorMessage, newId } from '../shared/index.js';
import { agentSkillsPrompt, findBundledSkillsDir, SkillsRegistry } from '../skills/index.js';
import {
  createExecApprovalsStore,
  createExecTools,
  type ExecApprovalsStore,
  type ExecTools,
  InMemoryApprovalBroker,
  wrapUntrusted,
} from '../tools/index.js';
import { AgentBus } from './agents-bus/index.js';
import { createHooksHandler } from './hooks-http.js';
import type { HttpRoute } from './http-routes.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Logger } from './logger.js';
import { agentFinal } from './methods/agent.js';
import { RunService } from './runs/run-service.js';
import { channelResult, createChannels } from './services-channels.js';
import { createScheduler, schedulerTurn } from './services-scheduler.js';
import { createGatewayTools } from './services-tools.js';
import { GatewaySessions } from './sessions.js';
import { SessionsChangedBatcher } from './sessions-changed.js';
import { GatewayTaint } from './taint.js';

/** The toolset of a gateway turn, and its description without a gateway (re-exported by index.ts). */

/** What the subsystems need from the gateway that hosts them. */
export interface ServiceHost {
  config(): Config;
  paths: StatePaths;
  clock: Clock;
  /** The environment for secret refs and child processes (the process's own when undefined). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  idempotency: IdempotencyStore;
  broadcast(event: string, payload: unknown): void;
  /** The gateway's own secret (for scrubbing tool output). */
  secret(): string | undefined;
  /** Every registered secret (the redactor's list): scrubbed from tool output and transcripts. */
  secrets?(): readonly string[];
  /** Mask every registered secret in a value (the redactor). */
  redact?<T>(value: T): T;
  /** Run and model-call metrics (`GET /metrics`). */
  metrics?: RunMetrics;
}

export interface Services {
  sessions: GatewaySessions;
  runs: RunService;
  channels: ChannelManager;
  broker: InMemoryApprovalBroker;
  approvals: ExecApprovalsStore;
  exec: ExecTools;
  scheduler: Scheduler;
  /** HTTP routes of the services (webhooks), served on the gateway port. */
  httpRoutes: HttpRoute[];
}

/** Build the subsystems behind the methods: session stores and the run path. Seeds agent workspaces. */
export async function createServices(host: ServiceHost): Promise<Services> {
  const changes = new SessionsChangedBatcher((payload) => host.broadcast('sessions.changed', payload));
  const sessions = new GatewaySessions({
    config: host.config,
    paths: host.paths,
    clock: host.clock,
    onChange: (change) =>
      changes.add({
        sessionKey: change.sessionKey,
        agentId: change.agentId,
        sessionId: change.sessionId,
        reason: change.kind,
        ts: host.clock.now(),
      }),
    onRepair: (info) => host.logger.warn(info, 'transcript repaired after an unclean stop'),
  });
  const broker = new InMemoryApprovalBroker({ clock: host.clock });
  broker.subscribe((event) => {
    if (event.type === 'requested') host.broadcast('exec.approval.requested', event.request);
    else host.broadcast('exec.approval.resolved', { id: event.id, decision: event.decision, by: event.by });
  });
  const approvals = createExecApprovalsStore({ path: join(host.paths.stateDir, 'exec-approvals.json') });
  // Tainted turns: what each run read, and approvals for what it then wants to do.
  const taint = new GatewayTaint({ config: host.config, sessions, broker });
  // Memory indexes (one per agent) and skill discovery: both follow their files on disk without a restart.
  const memory = new MemoryManager({
    agentsDir: host.paths.agentsDir,
    env: host.env,
    now: () => host.clock.now(),
  });
  const memoryFor = (agentId: string): AgentMemory | undefined => {
    const config = host.config();
    if (!config.memory.enabled) return undefined;
    return memory.forAgent({
      agentId,
      workspaceDir: sessions.agent(agentId).workspaceDir,
      config: config.memory,
    });
  };
  const skillsRegistry = new SkillsRegistry();
  const bundledSkillsDir = await findBundledSkillsDir();
  const skillsFor = (agentId: string) =>
    agentSkillsPrompt({
      registry: skillsRegistry,
      config: host.config(),
      workspaceDir: sessions.agent(agentId).workspaceDir,
      managedDir: host.paths.skillsDir,
      bundledDir: bundledSkillsDir,
      env: host.env,
      platform: process.platform,
    }).catch((err: unknown) => {
      host.logger.warn({ agentId, err: errorMessage(err) }, 'skills could not be listed');
      return { skills: [], skillsOmitted: 0 };
    });
  // Filled in below: tools reach the run path (notify) and channels (message) through these.
  let runsRef: RunService | undefined;
  let channelsRef: ChannelManager | undefined;
  let schedulerRef: Scheduler | undefined;
  const bus = new AgentBus({
    config: host.config,
    sessions,
    runs: () => runsRef,
    clock: host.clock,
    logger: host.logger,
  });
  const exec = createExecTools({
    config: () => ({ exec: host.config().tools.exec, sandbox: host.config().tools.sandbox }),
    workspaceDir: (agentId) => sessions.agent(agentId).workspaceDir,
    stateDir: host.paths.stateDir,
    env: host.env,
    broker,
    store: approvals,
    notify: (sessionKey, text) => runsRef?.notify(sessionKey, text),
    isTainted: (ctx) => taint.isTainted(ctx.runId),
  });
  const tools = createGatewayTools({
    config: host.config,
    env: host.env,
    sessions,
    exec,
    bus,
    taint,
    memory: memoryFor,
    skills: skillsFor,
    ...(host.redact ? { redact: <T>(value: T) => host.redact!(value) } : {}),
    channels: () => channelsRef,
    scheduler: () => schedulerRef,
  });
  const runs = new RunService({
    config: host.config,
    env: host.env,
    sessions,
    inboxPath: join(host.paths.stateDir, 'gateway', 'inbox.jsonl'),
    clock: host.clock,
    broadcast: (event, payload) => host.broadcast(event, payload),
    secrets: () => {
      if (host.secrets) return [...host.secrets()];
      const s = host.secret();
      return s ? [s] : [];
    },
    logger: host.logger,
    tools,
    guard: (run) => taint.begin(run),
    ...(host.redact ? { redact: <T>(value: T) => host.redact!(value) } : {}),
    skills: skillsFor,
    ...(host.metrics ? { metrics: host.metrics } : {}),
    // A channel reply is queued before the message counts as answered (a replayed turn answers too).
    beforeAnswer: async (req, outcome) => {
      if (req.method === 'channel' && req.reply && channelsRef)
        await channelsRef.enqueueReply(req.reply, channelResult(outcome));
    },
    onRecoveredFinal: (req, outcome) => {
      void host.idempotency.finish('agent', req.runId, { ok: true, payload: agentFinal(req.runId, outcome) });
    },
  });
  // A new agent workspace gets starter files (an existing file is never touched).
  for (const agent of sessions.agents()) {
    const created = await seedWorkspace(agent.workspaceDir);
    if (created.length > 0) host.logger.info({ agentId: agent.id, created }, 'workspace seeded');
  }
  runsRef = runs;
  const channels = createChannels(host, runs, sessions);
  channelsRef = channels;
  const scheduler = createScheduler(host, runs, channels, sessions);
  schedulerRef = scheduler;
  const hooks = createHooksHandler({
    config: host.config,
    env: host.env,
    gatewaySecret: host.secret,
    clock: host.clock,
    agents: () => ({ defaultId: defaultAgentId(host.config()), ids: agentIds(host.config()) }),
    wake: (agentId, text, mode) => scheduler.wake({ mode, text, sessionKey: `agent:${agentId}:main` }),
    runTurn: schedulerTurn(host.clock, runs),
    deliver: async (r) => {
      await channels.send({ ...r, idempotencyKey: newId() });
    },
    newHookId: newId,
    wrap: (text, source) => wrapUntrusted(text, { source }),
    log: { warn: (message, data) => host.logger.warn(data ?? {}, message) },
  });
  return { sessions, runs, channels, broker, approvals, exec, scheduler, httpRoutes: [hooks] };
}

/**
 * Start the services once the gateway listens: the run path first (it replays the messages accepted
 * before the last stop; their count is returned), then channels and the scheduler.
 */
export async function startServices(services: Services): Promise<number> {
  const replayed = await services.runs.start();
  await services.channels.start();
  await services.scheduler.start();
  return replayed;
}

/** Stop what produces turns before the run path, then the background processes. Failures are logged. */
export async function stopServices(services: Services, logger: Logger): Promise<void> {
  await services.scheduler.stop().catch((err) => logger.error({ err: String(err) }, 'scheduler stop failed'));
  await services.channels.stop().catch((err) => logger.error({ err: String(err) }, 'channels stop failed'));
  await services.runs.stop();
  await services.exec.registry.stop();
}
