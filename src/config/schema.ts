import Type, { type Static, type TSchema } from 'typebox';
import { AgentToAgentSchema } from './schema-agents.js';
import { ChannelsSchema } from './schema-channels.js';
import { CronSchema, HeartbeatSchema, HooksSchema } from './schema-cron.js';
import { MemorySchema } from './schema-memory.js';
import { SecretRefSchema } from './schema-secret.js';
import { SkillsSchema } from './schema-skills.js';
import { ToolsSchema } from './schema-tools.js';

/**
 * The one schema of carapace.json. Types, validation, defaults and the generated JSON Schema for editors
 * all derive from it. Annotations:
 * - `default`: the value when the file says nothing (applied by the loader);
 * - `x-reload: 'restart'`: a change needs a gateway restart (everything else reloads hot);
 * - `x-secret: true`: redacted by `config.get`, logs and `config get`.
 */
const restart = { 'x-reload': 'restart' } as const;
const closed = { additionalProperties: false } as const;

export * from './schema-agents.js';
export { type SecretRef, SecretRefSchema } from './schema-secret.js';

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
    http: Type.Object(
      {
        endpoints: Type.Object(
          {
            chatCompletions: Type.Object(
              {
                enabled: Type.Boolean({
                  default: false,
                  description:
                    "OpenAI-compatible POST /v1/chat/completions and GET /v1/models (Bearer: the gateway token); 'model' names an agent: 'carapace' or 'carapace/<agentId>'.",
                }),
              },
              { ...closed, default: {} },
            ),
          },
          { ...closed, default: {} },
        ),
      },
      { ...closed, default: {} },
    ),
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

/** The wire format a model provider speaks. */
export const ModelApiSchema = Type.Union(
  [
    Type.Literal('openai-chat'),
    Type.Literal('openai-responses'),
    Type.Literal('anthropic'),
    Type.Literal('openai-compatible'),
  ],
  {
    description:
      "'openai-chat' (Chat Completions), 'openai-responses' (Responses API), 'anthropic' (Messages API) or 'openai-compatible' (any Chat Completions server; needs baseUrl).",
  },
);
export type ModelApi = Static<typeof ModelApiSchema>;

/** Prices in USD per 1 million tokens. Cache prices default to the input price when left out. */
export const ModelCostSchema = Type.Object(
  {
    input: Type.Number({ minimum: 0 }),
    output: Type.Number({ minimum: 0 }),
    cacheRead: Type.Optional(Type.Number({ minimum: 0 })),
    cacheWrite: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { ...closed, description: 'USD per 1M tokens.' },
);
export type ModelCostConfig = Static<typeof ModelCostSchema>;

export const ModelEntrySchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      description: "The provider's model id, e.g. 'gpt-4.1' or 'claude-sonnet-4-5'.",
    }),
    name: Type.Optional(Type.String()),
    contextWindow: Type.Integer({ minimum: 1, description: 'Context window in tokens.' }),
    maxTokens: Type.Integer({ minimum: 1, description: 'Most output tokens per reply.' }),
    cost: Type.Optional(ModelCostSchema),
  },
  closed,
);
export type ModelEntry = Static<typeof ModelEntrySchema>;

export const ModelProviderSchema = Type.Object(
  {
    baseUrl: Type.Optional(
      Type.String({ minLength: 1, description: 'API base URL, e.g. https://api.openai.com/v1.' }),
    ),
    api: ModelApiSchema,
    apiKey: Type.Optional(SecretRefSchema),
    apiKeys: Type.Optional(
      Type.Array(SecretRefSchema, {
        description:
          'More keys (auth profiles) tried in order after apiKey when one is rate limited or refused.',
      }),
    ),
    headers: Type.Optional(
      Type.Unsafe<Record<string, string>>(
        Type.Object(
          {},
          { additionalProperties: Type.String({ 'x-secret': true }), description: 'Extra HTTP headers.' },
        ),
      ),
    ),
    models: Type.Array(ModelEntrySchema, { minItems: 1 }),
  },
  closed,
);
export type ModelProvider = Static<typeof ModelProviderSchema>;

export const ModelsSchema = Type.Object(
  {
    providers: Type.Unsafe<Record<string, ModelProvider>>(
      Type.Object(
        {},
        {
          additionalProperties: ModelProviderSchema,
          default: {},
          description: "Model providers by id; a model is referenced as '<provider id>/<model id>'.",
        },
      ),
    ),
    retry: Type.Object(
      {
        maxRetries: Type.Integer({
          minimum: 0,
          default: 2,
          description: 'Retries per key on 429 / 5xx / network errors.',
        }),
        baseDelayMs: Type.Integer({ minimum: 0, default: 1000 }),
        maxDelayMs: Type.Integer({
          minimum: 0,
          default: 30_000,
          description: 'Longest wait before a retry; a longer retry-after moves on to the next key or model.',
        }),
      },
      { ...closed, default: {} },
    ),
    cooldown: Type.Object(
      {
        rateLimitMs: Type.Integer({
          minimum: 0,
          default: 60_000,
          description: 'How long a key rests after a 429.',
        }),
        authMs: Type.Integer({
          minimum: 0,
          default: 900_000,
          description: 'How long a key rests after a 401 / 403.',
        }),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);
export type ModelsConfig = Static<typeof ModelsSchema>;

export const ThinkingLevelSchema = Type.Union([
  Type.Literal('off'),
  Type.Literal('minimal'),
  Type.Literal('low'),
  Type.Literal('medium'),
  Type.Literal('high'),
]);
export type ThinkingLevel = Static<typeof ThinkingLevelSchema>;

const modelRef = { minLength: 1, description: "A model reference '<provider id>/<model id>'." } as const;

export const AgentEntrySchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      description: 'lowercase letters, digits, - and _',
    }),
    name: Type.Optional(Type.String()),
    default: Type.Optional(Type.Boolean()),
    workspace: Type.Optional(Type.String({ minLength: 1 })),
    model: Type.Optional(Type.String(modelRef)),
    fallbacks: Type.Optional(Type.Array(Type.String(modelRef))),
    thinking: Type.Optional(ThinkingLevelSchema),
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
        model: Type.Optional(Type.String(modelRef)),
        fallbacks: Type.Optional(
          Type.Array(Type.String(modelRef), { description: 'Models tried in order when the primary fails.' }),
        ),
        thinking: Type.Optional(ThinkingLevelSchema),
        maxConcurrent: Type.Integer({
          minimum: 1,
          default: 4,
          description: 'Runs at once across all sessions.',
        }),
        timeoutSeconds: Type.Integer({ minimum: 1, default: 600 }),
        idleTimeoutSeconds: Type.Integer({
          minimum: 1,
          default: 120,
          description: 'A run stops with stopReason timeout when the model sends nothing for this long.',
        }),
        maxToolRounds: Type.Integer({
          minimum: 1,
          default: 32,
          description: 'Model → tools cycles per run.',
        }),
        toolResultMaxChars: Type.Integer({ minimum: 1000, default: 50_000 }),
        context: Type.Object(
          {
            fileMaxChars: Type.Integer({
              minimum: 100,
              default: 20_000,
              description: 'Cap per workspace file.',
            }),
            totalMaxChars: Type.Integer({
              minimum: 100,
              default: 60_000,
              description: 'Cap on all workspace files.',
            }),
          },
          { ...closed, default: {} },
        ),
        compaction: Type.Object(
          {
            enabled: Type.Boolean({ default: true }),
            thresholdRatio: Type.Number({
              exclusiveMinimum: 0,
              maximum: 1,
              default: 0.8,
              description: 'Compact when the estimated context exceeds this share of the model window.',
            }),
            keepRecentTokens: Type.Integer({
              minimum: 0,
              default: 20_000,
              description: 'Recent turns kept verbatim.',
            }),
            memoryFlush: Type.Boolean({
              default: true,
              description: 'Give the agent one turn to write durable notes to memory before compacting.',
            }),
          },
          { ...closed, default: {} },
        ),
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
        roles: Type.Optional(
          Type.Array(Type.String({ minLength: 1 }), {
            minItems: 1,
            description: 'Discord role ids: matches when the sender has any of them (use with guildId).',
          }),
        ),
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
    models: ModelsSchema,
    tools: ToolsSchema,
    cron: CronSchema,
    heartbeat: HeartbeatSchema,
    hooks: HooksSchema,
    channels: ChannelsSchema,
    agentToAgent: AgentToAgentSchema,
    skills: SkillsSchema,
    memory: MemorySchema,
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
