import Type, { type Static } from 'typebox';
import { PeerKindSchema } from '../config/index.js';
import { compileValidator, formatIssues } from '../protocol/index.js';
import { CarapaceError } from '../shared/index.js';

const closed = { additionalProperties: false } as const;
const Id = Type.String({ minLength: 1 });

/** Where an inbound message came from. `ws` is the control plane (`chat.send`, `agent`). */
export const EnvelopeSourceSchema = Type.Union([
  Type.Literal('channel'),
  Type.Literal('ws'),
  Type.Literal('cron'),
  Type.Literal('hook'),
  Type.Literal('agent'),
  Type.Literal('heartbeat'),
]);
export type EnvelopeSource = Static<typeof EnvelopeSourceSchema>;

/** The conversation a message belongs to: the DM partner, the group, or the channel (room). */
export const PeerSchema = Type.Object({ kind: PeerKindSchema, id: Id }, closed);
export type Peer = Static<typeof PeerSchema>;

/** A reference to media stored by the channel adapter (never the bytes themselves). */
export const MediaRefSchema = Type.Object(
  {
    ref: Id,
    mimeType: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  closed,
);
export type MediaRef = Static<typeof MediaRefSchema>;

/**
 * The one shape every inbound message takes before routing, whatever its source. `peer` is the
 * conversation (for a DM, the other person); `sender` is who wrote this message (in a group, a member).
 */
export const InboundEnvelopeSchema = Type.Object(
  {
    source: EnvelopeSourceSchema,
    channel: Id,
    accountId: Id,
    peer: PeerSchema,
    sender: Type.Object({ id: Id, name: Type.Optional(Type.String()) }, closed),
    guildId: Type.Optional(Id),
    teamId: Type.Optional(Id),
    /** The sender's role ids in the guild (Discord), for bindings that match roles. */
    roles: Type.Optional(Type.Array(Id)),
    threadId: Type.Optional(Id),
    text: Type.String(),
    mentions: Type.Optional(Type.Array(Id)),
    media: Type.Optional(Type.Array(MediaRefSchema)),
    replyTo: Type.Optional(
      Type.Object({ messageId: Id, senderId: Type.Optional(Id), text: Type.Optional(Type.String()) }, closed),
    ),
    messageId: Type.Optional(Id),
    /** Epoch milliseconds when the gateway received it. */
    receivedAt: Type.Integer({ minimum: 0 }),
    idempotencyKey: Type.Optional(Id),
  },
  closed,
);
export type InboundEnvelope = Static<typeof InboundEnvelopeSchema>;

/** Check an envelope built by an adapter; throws INVALID_ENVELOPE with path-level issues. */
export function createEnvelopeValidator(): (value: unknown) => InboundEnvelope {
  const validator = compileValidator<InboundEnvelope>(InboundEnvelopeSchema);
  return (value) => {
    if (validator.check(value)) return value;
    const issues = validator.issues(value);
    throw new CarapaceError('INVALID_ENVELOPE', `invalid inbound envelope: ${formatIssues(issues)}`, {
      details: { issues },
    });
  };
}

/** Longest text a folded overflow envelope carries; older lines are cut first. */
export const MAX_FOLDED_TEXT = 4000;
const FOLD_MARK = '[queued messages, folded because the session was busy]';

/**
 * Fold several envelopes of one session into one (the `summarize` overflow policy): the newest
 * envelope's addressing, every text as one line `sender: text`, media concatenated. Bounded: the text
 * keeps at most MAX_FOLDED_TEXT characters (the oldest lines go first), so folding again stays small.
 */
export function foldEnvelopes(envelopes: readonly InboundEnvelope[]): InboundEnvelope {
  const last = envelopes[envelopes.length - 1];
  if (!last) throw new CarapaceError('INVALID_ENVELOPE', 'foldEnvelopes needs at least one envelope');
  const lines: string[] = [];
  for (const env of envelopes) {
    if (env.text.startsWith(FOLD_MARK)) lines.push(...env.text.split('\n').slice(1));
    else lines.push(`${env.sender.name ?? env.sender.id}: ${env.text.replace(/\s+/g, ' ').trim()}`);
  }
  let text = `${FOLD_MARK}\n${lines.join('\n')}`;
  while (text.length > MAX_FOLDED_TEXT && lines.length > 1) {
    lines.shift();
    text = `${FOLD_MARK}\n${lines.join('\n')}`;
  }
  if (text.length > MAX_FOLDED_TEXT) text = text.slice(0, MAX_FOLDED_TEXT);
  const media = envelopes.flatMap((e) => e.media ?? []);
  const folded: InboundEnvelope = { ...last, text };
  if (media.length > 0) folded.media = media;
  else delete folded.media;
  return folded;
}
