import Type, { type Static } from 'typebox';

const Key = Type.String({ minLength: 1, maxLength: 1024 });
const closed = { additionalProperties: false } as const;

/** One row of `sessions.list`: read from the session index, never from transcripts. */
export const SessionRowSchema = Type.Object({
  key: Type.String(),
  agentId: Type.String(),
  sessionId: Type.String(),
  kind: Type.String(),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
  messageCount: Type.Integer(),
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  totalTokens: Type.Integer(),
  label: Type.Optional(Type.String()),
  lastChannel: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  origin: Type.Optional(Type.Unknown()),
});
export type SessionRow = Static<typeof SessionRowSchema>;

/** `sessions.list` (read): newest first, paged with an opaque cursor. */
export const SessionsListParamsSchema = Type.Object(
  {
    agentId: Type.Optional(Type.String({ minLength: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    cursor: Type.Optional(Type.String({ maxLength: 256 })),
    activeMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
    search: Type.Optional(Type.String({ maxLength: 256 })),
  },
  closed,
);
export const SessionsListResultSchema = Type.Object({
  ts: Type.Number(),
  count: Type.Integer(),
  total: Type.Integer(),
  sessions: Type.Array(SessionRowSchema),
  nextCursor: Type.Optional(Type.String()),
});

/** `sessions.preview` (read): the last few messages of several sessions. */
export const SessionsPreviewParamsSchema = Type.Object(
  {
    keys: Type.Array(Key, { minItems: 1, maxItems: 64 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    maxChars: Type.Optional(Type.Integer({ minimum: 16, maximum: 10_000 })),
  },
  closed,
);
export const SessionsPreviewResultSchema = Type.Object({
  ts: Type.Number(),
  previews: Type.Array(
    Type.Object({
      key: Type.String(),
      status: Type.Union([Type.Literal('ok'), Type.Literal('missing'), Type.Literal('error')]),
      items: Type.Array(Type.Object({ role: Type.String(), text: Type.String(), ts: Type.Number() })),
      error: Type.Optional(Type.String()),
    }),
  ),
});

/** `sessions.reset` (admin): the key moves on to a fresh session; the old transcript stays. */
export const SessionsResetParamsSchema = Type.Object(
  { key: Key, reason: Type.Optional(Type.Union([Type.Literal('new'), Type.Literal('reset')])) },
  closed,
);
export const SessionsResetResultSchema = Type.Object({
  ok: Type.Literal(true),
  key: Type.String(),
  sessionId: Type.String(),
  previousSessionId: Type.Optional(Type.String()),
});

/** `sessions.delete` (admin): forget the key; the transcript is archived, not erased. */
export const SessionsDeleteParamsSchema = Type.Object({ key: Key }, closed);
export const SessionsDeleteResultSchema = Type.Object({
  ok: Type.Literal(true),
  key: Type.String(),
  deleted: Type.Boolean(),
  archivedPath: Type.Optional(Type.String()),
});

/** `sessions.abort` (write): abort the running turn of a session (and, with `clearQueue`, what waits). */
export const SessionsAbortParamsSchema = Type.Object(
  { key: Key, runId: Type.Optional(Type.String()), clearQueue: Type.Optional(Type.Boolean()) },
  closed,
);
export const SessionsAbortResultSchema = Type.Object({
  ok: Type.Literal(true),
  aborted: Type.Boolean(),
  runIds: Type.Array(Type.String()),
  cleared: Type.Integer(),
});

/** `chat.history` (read): a page of messages from the end of the session's transcript. */
export const ChatHistoryParamsSchema = Type.Object(
  {
    sessionKey: Key,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    cursor: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 32 })])),
  },
  closed,
);
export const ChatHistoryResultSchema = Type.Object({
  sessionKey: Type.String(),
  sessionId: Type.Optional(Type.String()),
  messages: Type.Array(Type.Unknown()),
  hasMore: Type.Boolean(),
  cursor: Type.Optional(Type.Integer()),
});

/** `chat.inject` (admin): append a message to a transcript without running the agent. */
export const ChatInjectParamsSchema = Type.Object(
  {
    sessionKey: Key,
    message: Type.String({ minLength: 1, maxLength: 1_000_000 }),
    role: Type.Optional(
      Type.Union([Type.Literal('assistant'), Type.Literal('system'), Type.Literal('user')]),
    ),
    label: Type.Optional(Type.String({ maxLength: 256 })),
  },
  closed,
);
export const ChatInjectResultSchema = Type.Object({
  ok: Type.Literal(true),
  sessionKey: Type.String(),
  sessionId: Type.String(),
  messageId: Type.String(),
});

/** Payload of the `sessions.changed` event. */
export const SessionsChangedPayloadSchema = Type.Object({
  sessionKey: Type.String(),
  agentId: Type.String(),
  sessionId: Type.String(),
  reason: Type.String(),
  ts: Type.Number(),
});
export type SessionsChangedPayload = Static<typeof SessionsChangedPayloadSchema>;

/** `sessions.compact` (admin): summarize the older part of a session now (as `/compact` would). */
export const SessionsCompactParamsSchema = Type.Object(
  {
    key: Key,
    instructions: Type.Optional(Type.String({ maxLength: 2000 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  closed,
);
export const SessionsCompactResultSchema = Type.Object({
  ok: Type.Boolean(),
  key: Type.String(),
  runId: Type.String(),
  text: Type.String(),
});
