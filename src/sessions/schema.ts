import Type, { type Static } from 'typebox';
import { PeerKindSchema } from '../config/index.js';

/**
 * Persisted records of the session store. Records are open objects (readers ignore fields they do not
 * know) so a newer writer can add fields; a breaking change bumps `version` and gets a migration.
 */

/** The current version of a transcript's header line and of `sessions.json`. */
export const TRANSCRIPT_VERSION = 1;
export const SESSION_INDEX_VERSION = 1;

const Id = Type.String({ minLength: 1 });
const Ms = Type.Integer({ minimum: 0 });

/** First line of every transcript. */
export const TranscriptHeaderSchema = Type.Object({
  type: Type.Literal('session'),
  version: Type.Integer({ minimum: 1 }),
  id: Id,
  sessionKey: Id,
  agentId: Id,
  createdAt: Ms,
});
export type TranscriptHeader = Static<typeof TranscriptHeaderSchema>;

export const UsageSchema = Type.Object({
  input: Type.Integer({ minimum: 0 }),
  output: Type.Integer({ minimum: 0 }),
  total: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type Usage = Static<typeof UsageSchema>;

export const ToolCallSchema = Type.Object({ id: Id, name: Id, args: Type.Unknown() });
export type ToolCall = Static<typeof ToolCallSchema>;

/** A content part: `{type:'text', text}`, `{type:'image', ref, mimeType}` …; other part types pass through. */
export const ContentPartSchema = Type.Intersect([
  Type.Object({ type: Id }),
  Type.Record(Type.String(), Type.Unknown()),
]);
export type ContentPart = Static<typeof ContentPartSchema>;

export const RoleSchema = Type.Union([
  Type.Literal('user'),
  Type.Literal('assistant'),
  Type.Literal('tool'),
  Type.Literal('system'),
]);
export type Role = Static<typeof RoleSchema>;

/** The caller's half of a message; the store adds `type`, `id`, `parentId` and `ts`. */
export const MessageFieldsSchema = Type.Object({
  role: RoleSchema,
  content: Type.Union([Type.String(), Type.Array(ContentPartSchema)]),
  usage: Type.Optional(UsageSchema),
  /** On an assistant message: the tools it asked to run. Each needs a later `tool` message. */
  toolCalls: Type.Optional(Type.Array(ToolCallSchema)),
  /** On a tool message: the call it answers. */
  toolCallId: Type.Optional(Id),
  toolName: Type.Optional(Id),
  isError: Type.Optional(Type.Boolean()),
  stopReason: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  provider: Type.Optional(Type.String()),
  /** The inbox / run this message belongs to, for tracing. */
  runId: Type.Optional(Type.String()),
});
export type MessageFields = Static<typeof MessageFieldsSchema>;

const Linked = { id: Id, parentId: Type.Union([Id, Type.Null()]), ts: Ms };

export const MessageEntrySchema = Type.Intersect([
  Type.Object({ type: Type.Literal('message'), ...Linked }),
  MessageFieldsSchema,
]);
export type MessageEntry = Static<typeof MessageEntrySchema>;

/** Written at the end of a transcript whose key moved on to a new session. */
export const ResetEntrySchema = Type.Object({
  type: Type.Literal('reset'),
  ...Linked,
  reason: Type.String(),
  nextSessionId: Type.Optional(Id),
});
export type ResetEntry = Static<typeof ResetEntrySchema>;

/** Everything before `firstKeptId` is summarized by `summary` when building the model context. */
export const CompactionEntrySchema = Type.Object({
  type: Type.Literal('compaction'),
  ...Linked,
  summary: Type.String(),
  firstKeptId: Type.Optional(Id),
  tokensBefore: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type CompactionEntry = Static<typeof CompactionEntrySchema>;

export type TranscriptEntry = MessageEntry | ResetEntry | CompactionEntry;

/** Where a session started (copied from its first envelope). */
export const SessionOriginSchema = Type.Object({
  source: Type.Optional(Type.String()),
  channel: Type.Optional(Type.String()),
  accountId: Type.Optional(Type.String()),
  peer: Type.Optional(Type.Object({ kind: PeerKindSchema, id: Id })),
  senderName: Type.Optional(Type.String()),
});
export type SessionOrigin = Static<typeof SessionOriginSchema>;

/** One row of `sessions.json`: a session key and its current session, with running totals. */
export const SessionEntrySchema = Type.Object({
  sessionKey: Id,
  sessionId: Id,
  agentId: Id,
  createdAt: Ms,
  updatedAt: Ms,
  tokens: Type.Object({ input: Ms, output: Ms, total: Ms }),
  messageCount: Ms,
  label: Type.Optional(Type.String()),
  origin: Type.Optional(SessionOriginSchema),
  lastChannel: Type.Optional(Type.String()),
  lastAccountId: Type.Optional(Type.String()),
  lastTo: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  previousSessionId: Type.Optional(Id),
  resetReason: Type.Optional(Type.String()),
});
export type SessionEntry = Static<typeof SessionEntrySchema>;

export const SessionIndexFileSchema = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  agentId: Id,
  sessions: Type.Record(Type.String(), SessionEntrySchema),
});
export type SessionIndexFile = Static<typeof SessionIndexFileSchema>;
