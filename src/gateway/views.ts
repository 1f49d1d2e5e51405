import { hostname } from 'node:os';
import type { Config, StatePaths } from '../config/index.js';
import type { HealthResult, HelloOk, PresenceEntry, StateVersion, StatusResult } from '../protocol/index.js';
import { GATEWAY_EVENTS, PROTOCOL_VERSION } from '../protocol/index.js';
import type { Connection } from './connection.js';
import type { EventLoopHealth } from './event-loop.js';

/** The gateway's version, reported in hello-ok and `status`. */
export const GATEWAY_VERSION = '0.1.0';

/** The agents the config defines (or the implicit `main`), default first when marked. */
export function configuredAgents(config: Config): { id: string; isDefault: boolean }[] {
  const list = config.agents.list;
  if (list.length === 0) return [{ id: 'main', isDefault: true }];
  const defaultId = (list.find((a) => a.default) ?? list[0])?.id;
  return list.map((a) => ({ id: a.id, isDefault: a.id === defaultId }));
}

export interface SessionSummary {
  path: string;
  count: number;
  recent: { key: string; age: number }[];
}

export function buildHealth(input: {
  config: Config;
  paths: StatePaths;
  eventLoop: EventLoopHealth;
  startedMono: number;
  sessions?: (agentId: string) => SessionSummary | undefined;
  channels?: Record<string, unknown> | unknown[];
  /** Heartbeat interval per agent (ms); absent or 0 when off. */
  heartbeats?: Record<string, { everyMs: number }>;
}): HealthResult {
  const t0 = performance.now();
  const agents = configuredAgents(input.config).map((a) => ({
    agentId: a.id,
    isDefault: a.isDefault,
    heartbeat: input.heartbeats?.[a.id] ? { everyMs: input.heartbeats[a.id]?.everyMs } : null,
    sessions: input.sessions?.(a.id) ?? {
      path: `${input.paths.agentsDir}/${a.id}/sessions/sessions.json`,
      count: 0,
      recent: [],
    },
  }));
  const defaultAgentId = agents.find((a) => a.isDefault)?.agentId ?? 'main';
  return {
    ok: !input.eventLoop.degraded,
    ts: Date.now(),
    durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
    eventLoop: input.eventLoop,
    agents,
    sessions: { count: agents.reduce((n, a) => n + a.sessions.count, 0) },
    channels: (input.channels ?? {}) as Record<string, unknown>,
    heartbeatSeconds: Math.round((input.heartbeats?.[defaultAgentId]?.everyMs ?? 0) / 1000),
    defaultAgentId,
  };
}

export function presenceOf(conn: Connection): PresenceEntry {
  const entry: PresenceEntry = {
    connId: conn.id,
    clientId: conn.client?.id ?? 'unknown',
    mode: conn.client?.mode ?? 'unknown',
    platform: conn.client?.platform ?? 'unknown',
    version: conn.client?.version ?? '',
    role: conn.role,
    connectedAt: conn.connectedAt,
    ts: Date.now(),
  };
  if (conn.client?.displayName) entry.displayName = conn.client.displayName;
  if (conn.client?.instanceId) entry.instanceId = conn.client.instanceId;
  return entry;
}

export function buildStatus(input: {
  paths: StatePaths;
  startedAt: number;
  host: string;
  port: number;
  connections: number;
}): StatusResult {
  const mem = process.memoryUsage();
  return {
    ok: true,
    version: GATEWAY_VERSION,
    protocol: PROTOCOL_VERSION,
    pid: process.pid,
    startedAt: input.startedAt,
    uptimeMs: Date.now() - input.startedAt,
    stateDir: input.paths.stateDir,
    configPath: input.paths.configPath,
    listen: { host: input.host, port: input.port },
    connections: input.connections,
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    node: process.version,
  };
}

/** The hello-ok payload for a connection that just authenticated. */
export function buildHello(
  conn: Connection,
  protocol: number,
  input: {
    methods: string[];
    presence: PresenceEntry[];
    health: HealthResult;
    stateVersion: StateVersion;
    uptimeMs: number;
    gateway: Config['gateway'];
  },
): HelloOk {
  return {
    type: 'hello-ok',
    protocol: Math.min(protocol, PROTOCOL_VERSION),
    server: { version: GATEWAY_VERSION, connId: conn.id, host: hostname() },
    features: { methods: input.methods, events: [...GATEWAY_EVENTS] },
    snapshot: {
      presence: input.presence,
      health: input.health,
      stateVersion: { ...input.stateVersion },
      uptimeMs: input.uptimeMs,
      sessionDefaults: { mainKey: 'main', defaultAgentId: input.health.defaultAgentId },
    },
    auth: { role: conn.role, scopes: [...conn.scopes], method: conn.authMethod },
    policy: {
      maxPayload: input.gateway.maxPayload,
      maxBufferedBytes: input.gateway.maxBufferedBytes,
      tickIntervalMs: input.gateway.tickIntervalMs,
    },
  };
}
