import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { AgentTool } from '../agent/index.js';
import { ChannelManager } from '../channels/index.js';
import { type Config, type StatePaths, seedWorkspace } from '../config/index.js';
import { type AgentMemory, createMemoryTools, MemoryManager } from '../memory/index.js';
import type { RunMetrics } from '../metrics/index.js';
import { agentIds, defaultAgentId } from '../routing/index.js';
import {
  createCronTool,
  type DeliveryTarget,
  resolveHeartbeats,
  Scheduler,
  type SchedulerPorts,
} from '../scheduler/index.js';
import type { LaneOutcome } from '../sessions/index.js';
import { CarapaceError, type Clock, errorMessage, newId, systemClock } from '../shared/index.js';
import {
  agentSkillsPrompt,
  findBundledSkillsDir,
  type SkillsPrompt,
  SkillsRegistry,
} from '../skills/index.js';
import {
  createBuiltinTools,
  createExecApprovalsStore,
  createExecTools,
  type ExecApprovalsStore,
  type ExecTools,
  filterTools,
  InMemoryApprovalBroker,
  type MessagePort,
  resolveToolPolicy,
  type SessionStatusPort,
  stripSpecialTokens,
  wrapUntrusted,
} from '../tools/index.js';
import { AgentBus } from './agents-bus/index.js';
import { createHooksHandler } from './hooks-http.js';
import type { HttpRoute } from './http-routes.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Logger } from './logger.js';
import { agentFinal } from './methods/agent.js';
import { RunService } from './runs/run-service.js';
import type { TurnResult } from './runs/types.js';
import { GatewaySessions } from './sessions.js';
import { SessionsChangedBatcher } from './sessions-changed.js';
import { GatewayTaint } from './taint.js';

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
  // An agent's tools depend only on the config (their ports reach sessions and runs through the call
  // context): built once per agent and config, not on every turn.
  const toolCache = new Map<string, { config: Config; tools: readonly AgentTool[] }>();
  const tools = (agentId: string, _sessionKey: string): readonly AgentTool[] => {
    const config = host.config();
    const cached = toolCache.get(agentId);
    if (cached?.config === config && schedulerRef) return cached.tools;
    const built = buildTools(agentId, config);
    toolCache.set(agentId, { config, tools: built });
    return built;
  };
  const buildTools = (agentId: string, config: Config): readonly AgentTool[] => {
    const all = agentToolset(
      { config, workspaceDir: sessions.agent(agentId).workspaceDir, env: host.env },
      {
        message: {
          send: async (req, meta) => {
            if (!channelsRef) throw new Error('no channels are running');
            const res = await channelsRef.send({
              ...req,
              text: host.redact ? host.redact(req.text) : req.text,
              idempotencyKey: `${meta.runId}:${req.channel}:${req.to}:${req.text.length}`,
            });
            return res.messageId ? { messageId: String(res.messageId) } : {};
          },
        },
        sessionStatus: {
          status: async ({ sessionKey: key, agentId: id }) => {
            const entry = await sessions.store(id).get(key);
            return entry ?? `no session ${key}`;
          },
        },
        exec,
        cron: schedulerRef,
        sessions: bus,
        memory: memoryFor(agentId),
        skillDirs: () => skillsFor(agentId).then(listedSkillDirs),
      },
    );
    return taint.guard(filterTools(all, resolveToolPolicy(config, agentId)));
  };
  const runs = new RunService({
    config: host.config,
    env: host.env,
    sessions,
    inboxPath: join(host.paths.stateDir, 'gateway', 'inbox.jsonl'),
    clock: host.clock,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
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
  const channels = new ChannelManager({
    config: host.config,
    paths: host.paths,
    env: host.env,
    clock: host.clock,
    logger: host.logger.child({ subsystem: 'channels' }),
    emit: (event, payload) => host.broadcast(event, payload),
    sink: {
      submit: async (envelope, route, idempotencyKey, reply) => {
        const req = {
          ...(reply ? { reply } : {}),
          v: 1 as const,
          runId: idempotencyKey,
          method: 'channel' as const,
          sessionKey: route.sessionKey,
          agentId: route.agentId,
          // Chat-template tokens never reach a model from a chat (they could fake a turn boundary).
          message: stripSpecialTokens(envelope.text),
          acceptedAt: host.clock.now(),
        };
        try {
          const sub = await runs.submit(req);
          if (sub.duplicate) return { text: '' };
          const outcome = await sub.outcome;
          await rememberRoute(sessions, route, envelope);
          return channelResult(outcome);
        } catch (err) {
          return { error: errorMessage(err) };
        }
      },
    },
  });
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
    runTurn: schedulerTurn(host, runs),
    deliver: async (r) => {
      await channels.send({ ...r, idempotencyKey: newId() });
    },
    newHookId: newId,
    wrap: (text, source) => wrapUntrusted(text, { source }),
    log: { warn: (message, data) => host.logger.warn(data ?? {}, message) },
  });
  return { sessions, runs, channels, broker, approvals, exec, scheduler, httpRoutes: [hooks] };
}

/** The ports the tools of a turn reach the gateway through. */
export interface AgentToolPorts {
  message: MessagePort;
  sessionStatus: SessionStatusPort;
  /** `exec` and `process` (one process registry per gateway). */
  exec: Pick<ExecTools, 'exec' | 'process'>;
  /** The scheduler behind `cron` (absent while it is not built yet). */
  cron: Pick<Scheduler, 'add' | 'list' | 'remove'> | undefined;
  /** The agent bus behind `sessions_*` (its four tools). */
  sessions?: { tools(): AgentTool[] } | undefined;
  /** The agent's memory behind `memory_search` / `memory_get` (absent when memory.enabled is off). */
  memory?: AgentMemory | undefined;
  /** The folders of the skills the system prompt lists now: `read` (only) may open files in them. */
  skillDirs?: (() => Promise<readonly string[]>) | undefined;
}

/**
 * Every tool a gateway turn of one agent can offer the model, before the tool policy: the built-in tools,
 * `exec`/`process`, `cron` and `sessions_*`. `carapace tools list` and `carapace agent context` describe
 * this same list (`describeAgentToolset`), so a tool added here shows up there too.
 */
export function agentToolset(
  agent: { config: Config; workspaceDir: string; env: NodeJS.ProcessEnv },
  ports: AgentToolPorts,
): AgentTool[] {
  return [
    ...createBuiltinTools({
      workspaceDir: agent.workspaceDir,
      config: agent.config,
      env: agent.env,
      message: ports.message,
      sessionStatus: ports.sessionStatus,
      ...(ports.skillDirs ? { readOnlyRoots: ports.skillDirs } : {}),
    }),
    ports.exec.exec as unknown as AgentTool,
    ports.exec.process as unknown as AgentTool,
    ...(ports.cron ? [createCronTool(ports.cron) as unknown as AgentTool] : []),
    ...(ports.sessions ? ports.sessions.tools() : []),
    ...(ports.memory ? createMemoryTools(ports.memory) : []),
  ];
}

/** The folders of the listed skills outside the workspace (workspace skills are listed relative to it). */
function listedSkillDirs(prompt: SkillsPrompt): string[] {
  return prompt.skills
    .map((s) => s.location)
    .filter((loc) => isAbsolute(loc))
    .map((loc) => dirname(loc));
}

/** A port for describing tools only: touching any of its members throws. */
function neverCalled<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => {
      throw new CarapaceError('NOT_AVAILABLE', `${what} runs in the gateway; tools are only described here`);
    },
  });
}

/**
 * The tools `agentToolset` gives an agent, with ports that are never called: their names, descriptions
 * and parameters, for commands that describe a turn without a gateway (`carapace tools list`).
 */
export function describeAgentToolset(config: Config, workspaceDir: string): AgentTool[] {
  const exec = createExecTools({
    config: () => ({ exec: config.tools.exec, sandbox: config.tools.sandbox }),
    workspaceDir: () => workspaceDir,
    env: {},
  });
  const bus = new AgentBus({
    config: () => config,
    sessions: neverCalled('sessions'),
    runs: () => undefined,
    clock: systemClock,
    logger: neverCalled('logger'),
  });
  return agentToolset(
    { config, workspaceDir, env: {} },
    {
      message: neverCalled('message'),
      sessionStatus: neverCalled('session_status'),
      exec,
      cron: neverCalled('cron'),
      sessions: bus,
      memory: config.memory.enabled ? neverCalled<AgentMemory>('memory') : undefined,
    },
  );
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

/** What a channel message's sender is told: the reply text, or the error of the run. */
function channelResult(outcome: LaneOutcome<TurnResult>): { text: string } | { error: string } {
  if (outcome.status !== 'ok') return { error: outcome.error.message };
  if (outcome.result.status === 'error') return { error: outcome.result.error?.message ?? 'the run failed' };
  return { text: outcome.result.text };
}

/** The channel, account and peer a channel message came from, kept on its session (a heartbeat's `last` target). */
async function rememberRoute(
  sessions: GatewaySessions,
  route: { agentId: string; sessionKey: string },
  envelope: { channel?: string; accountId?: string; peer?: { id: string } },
): Promise<void> {
  if (!envelope.channel || !envelope.peer) return;
  const patch = {
    lastChannel: envelope.channel,
    lastTo: envelope.peer.id,
    lastAccountId: envelope.accountId ?? null,
  };
  await sessions
    .store(route.agentId)
    .updateSession(route.sessionKey, patch)
    .catch(() => undefined);
}

/** The recipient the agent last talked with on a channel (its most recently updated such session). */
async function lastTarget(sessions: GatewaySessions, agentId: string): Promise<DeliveryTarget | undefined> {
  const e = (await sessions.entries(agentId)).find((s) => s.lastChannel && s.lastTo);
  if (!e?.lastChannel || !e.lastTo) return undefined;
  return { channel: e.lastChannel, to: e.lastTo, ...(e.lastAccountId ? { accountId: e.lastAccountId } : {}) };
}

/** A scheduler or webhook turn through the run path (not durable: the caller keeps its own record). */
function schedulerTurn(host: ServiceHost, runs: RunService): SchedulerPorts['runTurn'] {
  return async (req) => {
    const turn = {
      v: 1 as const,
      runId: `cron:${newId()}`,
      method: 'cron' as const,
      sessionKey: req.sessionKey,
      agentId: req.agentId,
      message: req.message,
      acceptedAt: host.clock.now(),
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
function createScheduler(
  host: ServiceHost,
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
      runTurn: schedulerTurn(host, runs),
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
