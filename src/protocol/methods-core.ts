import Type, { type Static } from 'typebox';
import { PresenceEntrySchema } from './connect.js';

/** `health` (read). Params may be absent. */
export const HealthParamsSchema = Type.Object(
  { probe: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const HealthAgentSchema = Type.Object({
  agentId: Type.String(),
  isDefault: Type.Boolean(),
  heartbeat: Type.Unknown(),
  sessions: Type.Object({
    path: Type.String(),
    count: Type.Integer(),
    recent: Type.Array(Type.Object({ key: Type.String(), age: Type.Number() })),
  }),
});
export const HealthResultSchema = Type.Object({
  ok: Type.Boolean(),
  ts: Type.Number(),
  durationMs: Type.Number(),
  eventLoop: Type.Object({
    delayP50Ms: Type.Number(),
    delayP99Ms: Type.Number(),
    delayMaxMs: Type.Number(),
    utilization: Type.Number(),
    degraded: Type.Boolean(),
    reasons: Type.Array(Type.String()),
  }),
  agents: Type.Array(HealthAgentSchema),
  sessions: Type.Object({ count: Type.Integer() }),
  channels: Type.Record(Type.String(), Type.Unknown()),
  heartbeatSeconds: Type.Number(),
  defaultAgentId: Type.String(),
});
export type HealthResult = Static<typeof HealthResultSchema>;

/** `status` (read): a summary of the gateway for people and scripts. */
export const StatusParamsSchema = Type.Object({}, { additionalProperties: false });
export const StatusResultSchema = Type.Object({
  ok: Type.Boolean(),
  version: Type.String(),
  protocol: Type.Integer(),
  pid: Type.Integer(),
  startedAt: Type.Number(),
  uptimeMs: Type.Number(),
  stateDir: Type.String(),
  configPath: Type.String(),
  listen: Type.Object({ host: Type.String(), port: Type.Integer() }),
  connections: Type.Integer(),
  memory: Type.Object({ rssBytes: Type.Number(), heapUsedBytes: Type.Number() }),
  node: Type.String(),
});
export type StatusResult = Static<typeof StatusResultSchema>;

/** `system-presence` (read): who is connected. */
export const SystemPresenceParamsSchema = Type.Object({}, { additionalProperties: false });
export const SystemPresenceResultSchema = Type.Array(PresenceEntrySchema);

/** A configuration problem with the path where it was found, what was wrong and how to fix it. */
export const ConfigIssueSchema = Type.Object({
  path: Type.String(),
  message: Type.String(),
  hint: Type.Optional(Type.String()),
});
export type ConfigIssueWire = Static<typeof ConfigIssueSchema>;

/** `config.get` (read): the effective file config with secrets redacted, and its hash for compare-and-set. */
export const ConfigGetParamsSchema = Type.Object({}, { additionalProperties: false });
export const ConfigGetResultSchema = Type.Object({
  path: Type.String(),
  exists: Type.Boolean(),
  hash: Type.String(),
  valid: Type.Boolean(),
  config: Type.Unknown(),
  issues: Type.Array(ConfigIssueSchema),
});

const IdempotencyKey = Type.String({ minLength: 1, maxLength: 256 });

/** `config.set` (admin): replace the whole config file. `raw` is JSON5 text; `config` an object. */
export const ConfigSetParamsSchema = Type.Object(
  {
    raw: Type.Optional(Type.String({ maxLength: 10 * 1024 * 1024 })),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    baseHash: Type.Optional(Type.String({ maxLength: 128 })),
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);
/** `config.patch` (admin): a JSON merge patch (RFC 7396) over the file config; `null` deletes a key. */
export const ConfigPatchParamsSchema = Type.Object(
  {
    raw: Type.Optional(Type.String({ maxLength: 10 * 1024 * 1024 })),
    patch: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    baseHash: Type.Optional(Type.String({ maxLength: 128 })),
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);
export const ConfigWriteResultSchema = Type.Object({
  ok: Type.Literal(true),
  path: Type.String(),
  hash: Type.String(),
  backupPath: Type.Optional(Type.String()),
  hotReloaded: Type.Array(Type.String()),
  restartRequired: Type.Array(Type.String()),
});
export type ConfigWriteResult = Static<typeof ConfigWriteResultSchema>;

/** `logs.tail` (read): lines of the gateway's JSON-lines log after `cursor` (a byte offset). */
export const LogsTailParamsSchema = Type.Object(
  {
    cursor: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
    maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 * 1024 * 1024 })),
  },
  { additionalProperties: false },
);
export const LogsTailResultSchema = Type.Object({
  file: Type.String(),
  cursor: Type.Integer(),
  size: Type.Integer(),
  lines: Type.Array(Type.String()),
  truncated: Type.Boolean(),
  reset: Type.Boolean(),
});
export type LogsTailResult = Static<typeof LogsTailResultSchema>;
