import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;
const Name = Type.String({ minLength: 1, maxLength: 64 });
const Id = Type.String({ minLength: 1, maxLength: 256 });

/** One channel account in `channels.status`. */
export const ChannelAccountStatusSchema = Type.Object({
  channel: Type.String(),
  accountId: Type.String(),
  enabled: Type.Boolean(),
  configured: Type.Boolean(),
  running: Type.Boolean(),
  connected: Type.Boolean(),
  lastError: Type.Optional(Type.String()),
  lastErrorAt: Type.Optional(Type.Number()),
  lastStartAt: Type.Optional(Type.Number()),
  lastInboundAt: Type.Optional(Type.Number()),
  lastOutboundAt: Type.Optional(Type.Number()),
  self: Type.Optional(Type.Object({ id: Type.String(), username: Type.Optional(Type.String()) })),
  loggedOut: Type.Optional(Type.Boolean()),
  stats: Type.Optional(Type.Record(Type.String(), Type.Number())),
});
export type ChannelAccountStatus = Static<typeof ChannelAccountStatusSchema>;

/** `channels.status` (read): every channel and account, with connectivity and counters. */
export const ChannelsStatusParamsSchema = Type.Object({ probe: Type.Optional(Type.Boolean()) }, closed);
export const ChannelsStatusResultSchema = Type.Object({
  ts: Type.Number(),
  channels: Type.Record(
    Type.String(),
    Type.Object({
      configured: Type.Boolean(),
      running: Type.Boolean(),
      connected: Type.Boolean(),
      accounts: Type.Integer(),
    }),
  ),
  channelAccounts: Type.Record(Type.String(), Type.Array(ChannelAccountStatusSchema)),
});
export type ChannelsStatusResult = Static<typeof ChannelsStatusResultSchema>;

/** `channels.logout` (admin): stop an account and forget its platform session. */
export const ChannelsLogoutParamsSchema = Type.Object(
  { channel: Name, accountId: Type.Optional(Id) },
  closed,
);
export const ChannelsLogoutResultSchema = Type.Object({
  channel: Type.String(),
  accountId: Type.String(),
  cleared: Type.Boolean(),
  loggedOut: Type.Literal(true),
});

/** One pending pairing request. */
export const PairingRequestSchema = Type.Object({
  channel: Type.String(),
  accountId: Type.String(),
  code: Type.String(),
  senderId: Type.String(),
  senderName: Type.Optional(Type.String()),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
});
export type PairingRequestView = Static<typeof PairingRequestSchema>;

/** `pairing.list` (pairing): pending codes, optionally of one channel. */
export const PairingListParamsSchema = Type.Object({ channel: Type.Optional(Name) }, closed);
export const PairingListResultSchema = Type.Object({ requests: Type.Array(PairingRequestSchema) });

/** `pairing.approve` (pairing): the code's sender may DM from now on. */
export const PairingApproveParamsSchema = Type.Object(
  { channel: Name, code: Type.String({ minLength: 1, maxLength: 32 }), accountId: Type.Optional(Id) },
  closed,
);
export const PairingApproveResultSchema = Type.Object({
  ok: Type.Literal(true),
  channel: Type.String(),
  accountId: Type.String(),
  senderId: Type.String(),
  senderName: Type.Optional(Type.String()),
  approvedAt: Type.Number(),
});

/** Payload of the `pairing.requested` event. */
export const PairingRequestedEventSchema = PairingRequestSchema;

/**
 * Payload of the `channels.delivery.failed` event: an outbound message chunk that was tried and finally
 * not delivered — the platform refused it or retries ran out (`failed`), or its response was lost so it
 * is not resent (`unknown`). Also logged and counted in `channels.status`.
 */
export const ChannelDeliveryFailedEventSchema = Type.Object({
  channel: Type.String(),
  accountId: Type.String(),
  /** The conversation (chat, channel or user id) it was addressed to. */
  to: Type.String(),
  /** The message's key in the outbound queue: `send:<idempotencyKey>`, `reply:<inbound key>`, `paired:<code>`. */
  key: Type.String(),
  /** Which chunk of the message (0-based) and of how many; later chunks of it are not sent either. */
  chunk: Type.Integer({ minimum: 0 }),
  chunks: Type.Integer({ minimum: 1 }),
  state: Type.Union([Type.Literal('failed'), Type.Literal('unknown')]),
  error: Type.String(),
  /** Send attempts made, the first included. */
  attempts: Type.Integer({ minimum: 0 }),
  ts: Type.Number(),
});
export type ChannelDeliveryFailedEvent = Static<typeof ChannelDeliveryFailedEventSchema>;

/** `send` (write): deliver a message on a channel without an agent run. */
export const SendParamsSchema = Type.Object(
  {
    to: Id,
    message: Type.String({ minLength: 1, maxLength: 100_000 }),
    channel: Type.Optional(Name),
    accountId: Type.Optional(Id),
    idempotencyKey: Type.String({ minLength: 1, maxLength: 256 }),
  },
  closed,
);
export type SendParams = Static<typeof SendParamsSchema>;
export const SendResultSchema = Type.Object({
  runId: Type.String(),
  messageId: Type.String(),
  channel: Type.String(),
  accountId: Type.String(),
  to: Type.String(),
  messageIds: Type.Array(Type.String()),
  chunks: Type.Integer(),
});
export type SendResult = Static<typeof SendResultSchema>;
