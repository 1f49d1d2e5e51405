import Type, { type Static, type TSchema } from 'typebox';

/**
 * The one schema of carapace.json. Types, validation, defaults and the generated JSON Schema for editors
 * all derive from it. Annotations:
 * - `default`: the value when the file says nothing (applied by the loader);
 * - `x-reload: 'restart'`: a change needs a gateway restart (everything else reloads hot);
 * - `x-secret: true`: redacted by `config.get`, logs and `config get`.
 */
const restart = { 'x-reload': 'restart' } as const;
const closed = { additionalProperties: false } as const;

/** A secret given inline, or (preferred) referenced from the environment or a file. */
export const SecretRefSchema = Type.Union([
  Type.String({ minLength: 1, 'x-secret': true }),
  Type.Object(
    { source: Type.Literal('env'), id: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }) },
    closed,
  ),
  Type.Object({ source: Type.Literal('file'), path: Type.String({ minLength: 1 }) }, closed),
]);
export type SecretRef = Static<typeof SecretRefSchema>;

export const GatewayAuthSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('token'), Type.Literal('password'), Type.Literal('none')], {
      default: 'token',
      description: "'token' (default; generated on first start), 'password', or 'none' (loopback only).",
    }),
    token: Type.Optional(SecretRefSchema),
    password: Type.Optional(SecretRefSchema),
    rateLimit: Type.Object(
      {
        maxFailures: Type.Integer({ minimum: 1, default: 10 }),
        windowMs: Type.Integer({ minimum: 1000, default: 60_000 }),
        lockoutMs: Type.Integer({ minimum: 1000, default: 300_000 }),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);

export const GatewaySchema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 18789, ...restart }),
    bind: Type.String({
      minLength: 1,
      default: 'loopback',
      description: "'loopback' (127.0.0.1), 'lan' / 'all' (0.0.0.0), or an IP address to listen on.",
      ...restart,
    }),
    auth: GatewayAuthSchema,
    controlUi: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        allowedOrigins: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Extra browser origins allowed to connect (the gateway’s own origin always is).',
        }),
      },
      { ...closed, default: {} },
    ),
    tickIntervalMs: Type.Integer({ minimum: 1000, default: 30_000 }),
    handshakeTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    maxPayload: Type.Integer({ minimum: 1024, default: 25 * 1024 * 1024, ...restart }),
    maxBufferedBytes: Type.Integer({ minimum: 1024, default: 50 * 1024 * 1024 }),
    maxConnectionsPerIp: Type.Integer({ minimum: 1, default: 256 }),
    idempotency: Type.Object(
      {
        ttlMs: Type.Integer({ minimum: 1000, default: 24 * 60 * 60 * 1000 }),
        maxEntries: Type.Integer({ minimum: 10, default: 10_000 }),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);

export const LogLevelSchema = Type.Union([
  Type.Literal('fatal'),
  Type.Literal('error'),
  Type.Literal('warn'),
  Type.Literal('info'),
  Type.Literal('debug'),
  Type.Literal('trace'),
  Type.Literal('silent'),
]);
export type LogLevel = Static<typeof LogLevelSchema>;

export const LoggingSchema = Type.Object(
  {
    level: Type.Union(LogLevelSchema.anyOf, { default: 'info' }),
    maxFileBytes: Type.Integer({ minimum: 64 * 1024, default: 10 * 1024 * 1024 }),
    redactPatterns: Type.Array(Type.String(), {
      default: [],
      description: 'Extra regular expressions whose matches are masked in logs.',
    }),
  },
  { ...closed, default: {} },
);

export const ToolPolicySchema = Type.Object(
  {
    profile: Type.Optional(
      Type.Union([
        Type.Literal('minimal'),
        Type.Literal('coding'),
        Type.Literal('messaging'),
        Type.Literal('full'),
      ]),
    ),
    allow: Type.Optional(Type.Array(Type.String())),
    deny: Type.Optional(Type.Array(Type.String())),
  },
  closed,
);

export const DmScopeSchema = Type.Union([
  Type.Literal('main'),
  Type.Literal('per-peer'),
  Type.Literal('per-channel-peer'),
  Type.Literal('per-account-channel-peer'),
]);
export type DmScope = Static<typeof DmScopeSchema>;

export const AgentEntrySchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      description: 'lowercase letters, digits, - and _',
    }),
    name: Type.Optional(Type.String()),
    default: Type.Optional(Type.Boolean()),
    workspace: Type.Optional(Type.String({ minLength: 1 })),
    model: Type.Optional(Type.String({ minLength: 1 })),
    tools: Type.Optional(ToolPolicySchema),
  },
  closed,
);
export type AgentEntry = Static<typeof AgentEntrySchema>;

export const AgentsSchema = Type.Object(
  {
    defaults: Type.Object(
      {
        workspace: Type.Optional(Type.String({ minLength: 1 })),
        model: Type.Optional(Type.String({ minLength: 1 })),
        maxConcurrent: Type.Integer({
          minimum: 1,
          default: 4,
          description: 'Runs at once across all sessions.',
        }),
        timeoutSeconds: Type.Integer({ minimum: 1, default: 600 }),
        tools: Type.Optional(ToolPolicySchema),
      },
      { ...closed, default: {} },
    ),
    list: Type.Array(AgentEntrySchema, { default: [] }),
  },
  { ...closed, default: {} },
);

export const PeerKindSchema = Type.Union([
  Type.Literal('dm'),
  Type.Literal('group'),
  Type.Literal('channel'),
]);
export type PeerKind = Static<typeof PeerKindSchema>;

export const BindingSchema = Type.Object(
  {
    agentId: Type.String({ minLength: 1 }),
    match: Type.Object(
      {
        channel: Type.Optional(Type.String({ minLength: 1 })),
        accountId: Type.Optional(Type.String({ minLength: 1 })),
        peer: Type.Optional(Type.Object({ kind: PeerKindSchema, id: Type.String({ minLength: 1 }) }, closed)),
        guildId: Type.Optional(Type.String({ minLength: 1 })),
        teamId: Type.Optional(Type.String({ minLength: 1 })),
      },
      closed,
    ),
  },
  closed,
);
export type Binding = Static<typeof BindingSchema>;

export const QueueModeSchema = Type.Union([
  Type.Literal('followup'),
  Type.Literal('collect'),
  Type.Literal('steer'),
  Type.Literal('interrupt'),
]);
export type QueueMode = Static<typeof QueueModeSchema>;

export const MessagesSchema = Type.Object(
  {
    queue: Type.Object(
      {
        mode: Type.Union(QueueModeSchema.anyOf, { default: 'followup' }),
        debounceMs: Type.Integer({ minimum: 0, default: 0 }),
        cap: Type.Integer({ minimum: 1, default: 20 }),
        drop: Type.Union([Type.Literal('old'), Type.Literal('new'), Type.Literal('summarize')], {
          default: 'summarize',
          description:
            "When a lane is full: 'old' fails the oldest waiting message, 'new' refuses the newcomer, 'summarize' folds the overflow into one turn.",
        }),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);

export const SessionSchema = Type.Object(
  {
    dmScope: Type.Union(DmScopeSchema.anyOf, { default: 'main' }),
    reset: Type.Object(
      {
        mode: Type.Union([Type.Literal('daily'), Type.Literal('idle'), Type.Literal('off')], {
          default: 'daily',
        }),
        atHour: Type.Integer({ minimum: 0, maximum: 23, default: 4 }),
        idleMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    $include: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    version: Type.Optional(Type.Literal(1)),
    gateway: GatewaySchema,
    logging: LoggingSchema,
    agents: AgentsSchema,
    bindings: Type.Array(BindingSchema, { default: [] }),
    session: SessionSchema,
    messages: MessagesSchema,
  },
  closed,
);
export type Config = Static<typeof ConfigSchema>;

/** The current version of the config format. */
export const CONFIG_VERSION = 1;

/** Every schema node that is annotated with `x-reload: 'restart'`, as dotted paths. */
export function restartPaths(schema: TSchema = ConfigSchema, prefix = ''): string[] {
  const out: string[] = [];
  const node = schema as TSchema & { properties?: Record<string, TSchema>; 'x-reload'?: string };
  if (node['x-reload'] === 'restart' && prefix) out.push(prefix);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    out.push(...restartPaths(child, prefix ? `${prefix}.${key}` : key));
  }
  return out;
}
