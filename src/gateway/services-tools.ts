import { dirname, isAbsolute } from 'node:path';
import type { AgentTool } from '../agent/index.js';
import type { ChannelManager } from '../channels/index.js';
import type { Config } from '../config/index.js';
import { type AgentMemory, createMemoryTools } from '../memory/index.js';
import { createCronTool, type Scheduler } from '../scheduler/index.js';
import { CarapaceError, systemClock } from '../shared/index.js';
import type { SkillsPrompt } from '../skills/index.js';
import {
  createBuiltinTools,
  createExecTools,
  type ExecTools,
  filterTools,
  type MessagePort,
  resolveToolPolicy,
  type SessionStatusPort,
} from '../tools/index.js';
import { AgentBus } from './agents-bus/index.js';
import type { GatewaySessions } from './sessions.js';
import type { GatewayTaint } from './taint.js';

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

/** What a gateway agent's tools are built from. */
export interface GatewayToolsDeps {
  config(): Config;
  env: NodeJS.ProcessEnv;
  sessions: GatewaySessions;
  exec: ExecTools;
  /** The agent bus behind `sessions_*`. */
  bus: { tools(): AgentTool[] };
  /** Wraps the tools so tainted turns ask before acting. */
  taint: Pick<GatewayTaint, 'guard'>;
  memory(agentId: string): AgentMemory | undefined;
  skills(agentId: string): Promise<SkillsPrompt>;
  /** Masks registered secrets in what `message` sends. */
  redact?<T>(value: T): T;
  /** The running channels (undefined until they are built). */
  channels(): ChannelManager | undefined;
  /** The scheduler behind `cron` (undefined until it is built). */
  scheduler(): Scheduler | undefined;
}

/**
 * The tools of a gateway turn, by agent: `agentToolset` with live ports, filtered by the tool policy and
 * guarded against tainted turns. They depend only on the config (their ports reach sessions and runs
 * through the call context), so they are built once per agent and config, not on every turn.
 */
export function createGatewayTools(
  deps: GatewayToolsDeps,
): (agentId: string, sessionKey: string) => readonly AgentTool[] {
  const { sessions } = deps;
  const build = (agentId: string, config: Config): readonly AgentTool[] => {
    const all = agentToolset(
      { config, workspaceDir: sessions.agent(agentId).workspaceDir, env: deps.env },
      {
        message: {
          send: async (req, meta) => {
            const channels = deps.channels();
            if (!channels) throw new Error('no channels are running');
            const res = await channels.send({
              ...req,
              text: deps.redact ? deps.redact(req.text) : req.text,
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
        exec: deps.exec,
        cron: deps.scheduler(),
        sessions: deps.bus,
        memory: deps.memory(agentId),
        skillDirs: () => deps.skills(agentId).then(listedSkillDirs),
      },
    );
    return deps.taint.guard(filterTools(all, resolveToolPolicy(config, agentId)));
  };
  const cache = new Map<string, { config: Config; tools: readonly AgentTool[] }>();
  return (agentId, _sessionKey) => {
    const config = deps.config();
    const cached = cache.get(agentId);
    // Until the scheduler exists the tools lack `cron`: build again rather than keep them.
    if (cached?.config === config && deps.scheduler()) return cached.tools;
    const built = build(agentId, config);
    cache.set(agentId, { config, tools: built });
    return built;
  };
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
