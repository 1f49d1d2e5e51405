import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;
const IdempotencyKey = Type.String({ minLength: 1, maxLength: 256 });
const QueueMode = Type.Union([
  Type.Literal('followup'),
  Type.Literal('collect'),
  Type.Literal('steer'),
  Type.Literal('interrupt'),
]);
const Thinking = Type.String({ maxLength: 32 });

/** `agent` (write): run one agent turn. Answers twice on the same id: the ack, then the final result. */
export const AgentParamsSchema = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 1_000_000 }),
    idempotencyKey: IdempotencyKey,
    agentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    sessionKey: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    thinking: Type.Optional(Thinking),
    deliver: Type.Optional(Type.Boolean()),
    channel: Type.Optional(Type.String({ maxLength: 64 })),
    to: Type.Optional(Type.String({ maxLength: 256 })),
    timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    extraSystemPrompt: Type.Optional(Type.String({ maxLength: 100_000 })),
    label: Type.Optional(Type.String({ maxLength: 256 })),
  },
  closed,
);
export type AgentParams = Static<typeof AgentParamsSchema>;

export const AgentAckSchema = Type.Object({
  runId: Type.String(),
  sessionKey: Type.String(),
  agentId: Type.String(),
  status: Type.Literal('accepted'),
  acceptedAt: Type.Number(),
});

export const AgentFinalSchema = Type.Object({
  runId: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('timeout'), Type.Literal('error')]),
  summary: Type.String(),
  stopReason: Type.Optional(Type.String()),
  result: Type.Optional(
    Type.Object({
      payloads: Type.Array(Type.Object({ text: Type.String() })),
      meta: Type.Object({
        durationMs: Type.Number(),
        agentMeta: Type.Object({
          sessionId: Type.String(),
          provider: Type.Optional(Type.String()),
          model: Type.Optional(Type.String()),
          usage: Type.Unknown(),
          cost: Type.Optional(Type.Unknown()),
        }),
      }),
    }),
  ),
  error: Type.Optional(Type.Object({ kind: Type.String(), message: Type.String() })),
});
export type AgentFinal = Static<typeof AgentFinalSchema>;

/** `agent.wait` (write): wait for a run to end. */
export const AgentWaitParamsSchema = Type.Object(
  {
    runId: Type.String({ minLength: 1, maxLength: 256 }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
  },
  closed,
);
export const AgentWaitResultSchema = Type.Object({
  runId: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('timeout')]),
  startedAt: Type.Optional(Type.Number()),
  endedAt: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
});

/** `chat.send` (write): a chat message into a session; progress arrives as `chat` and `agent` events. */
export const ChatSendParamsSchema = Type.Object(
  {
    sessionKey: Type.String({ minLength: 1, maxLength: 1024 }),
    message: Type.String({ maxLength: 1_000_000 }),
    idempotencyKey: IdempotencyKey,
    queueMode: Type.Optional(QueueMode),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            type: Type.Optional(Type.String({ maxLength: 64 })),
            mimeType: Type.Optional(Type.String({ maxLength: 128 })),
            fileName: Type.Optional(Type.String({ maxLength: 512 })),
            content: Type.String({ maxLength: 5_000_000 }),
          },
          closed,
        ),
        { maxItems: 16 },
      ),
    ),
    thinking: Type.Optional(Thinking),
    deliver: Type.Optional(Type.Boolean()),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
  },
  closed,
);
export type ChatSendParams = Static<typeof ChatSendParamsSchema>;
export const ChatSendResultSchema = Type.Object({
  runId: Type.String(),
  status: Type.Union([Type.Literal('started'), Type.Literal('in_flight'), Type.Literal('ok')]),
  sessionKey: Type.Optional(Type.String()),
});

/** `chat.abort` (write): abort the session's running turn (one run, or every run of the session). */
export const ChatAbortParamsSchema = Type.Object(
  {
    sessionKey: Type.String({ minLength: 1, maxLength: 1024 }),
    runId: Type.Optional(Type.String({ maxLength: 256 })),
  },
  closed,
);
export const ChatAbortResultSchema = Type.Object({
  ok: Type.Boolean(),
  aborted: Type.Boolean(),
  runIds: Type.Array(Type.String()),
});

/** `agents.list` (read). */
export const AgentsListParamsSchema = Type.Object({}, closed);
export const AgentsListResultSchema = Type.Object({
  defaultId: Type.String(),
  mainKey: Type.String(),
  agents: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      isDefault: Type.Boolean(),
      model: Type.Optional(Type.String()),
      workspace: Type.String(),
    }),
  ),
});

/** `agent.identity.get` (read). */
export const AgentIdentityParamsSchema = Type.Object(
  {
    agentId: Type.Optional(Type.String({ maxLength: 64 })),
    sessionKey: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  closed,
);
export const AgentIdentityResultSchema = Type.Object({
  agentId: Type.String(),
  name: Type.String(),
  avatar: Type.Optional(Type.String()),
  emoji: Type.Optional(Type.String()),
});

/** `models.list` (read). */
export const ModelsListParamsSchema = Type.Object({}, closed);
export const ModelsListResultSchema = Type.Object({
  models: Type.Array(
    Type.Object({
      id: Type.String(),
      provider: Type.String(),
      name: Type.String(),
      contextWindow: Type.Integer(),
      maxTokens: Type.Integer(),
      api: Type.String(),
    }),
  ),
});

/** Payload of an `agent` event. */
export const AgentEventPayloadSchema = Type.Object({
  runId: Type.String(),
  seq: Type.Integer({ minimum: 1 }),
  stream: Type.String(),
  ts: Type.Number(),
  data: Type.Unknown(),
  sessionKey: Type.String(),
  agentId: Type.String(),
});

/** Payload of a `chat` event. */
export const ChatEventPayloadSchema = Type.Object({
  runId: Type.String(),
  sessionKey: Type.String(),
  seq: Type.Integer({ minimum: 1 }),
  state: Type.Union([
    Type.Literal('delta'),
    Type.Literal('final'),
    Type.Literal('aborted'),
    Type.Literal('error'),
  ]),
  deltaText: Type.Optional(Type.String()),
  message: Type.Optional(Type.Unknown()),
  stopReason: Type.Optional(Type.String()),
  usage: Type.Optional(Type.Unknown()),
  errorMessage: Type.Optional(Type.String()),
  errorKind: Type.Optional(Type.String()),
});
