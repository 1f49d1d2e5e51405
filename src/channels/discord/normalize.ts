import type { APIAttachment, APIUser, GatewayMessageCreateDispatchData } from '@discordjs/core';
import type { InboundEnvelope, MediaRef } from '../../routing/index.js';

const MAX_QUOTED = 500;
/** Message types a person writes: DEFAULT and REPLY (joins, pins, boosts … are not for the agent). */
const USER_MESSAGE_TYPES = new Set([0, 19]);

/** Where a guild message belongs: the conversation (a channel) and, inside it, a thread. */
export interface DiscordPlace {
  /** The channel id that is the conversation (a thread's parent channel). */
  peerId: string;
  threadId?: string;
}

export interface NormalizeContext {
  accountId: string;
  self: { id: string; username: string };
  receivedAt: number;
  /** For guild messages; DMs are keyed by the sender. */
  place?: DiscordPlace;
}

function displayName(user: Pick<APIUser, 'username' | 'global_name'>): string {
  return user.global_name || user.username;
}

/** `<@123>` and `<@!123>` as `@name` for the users the message mentions (others stay as they are). */
export function renderMentions(content: string, mentions: readonly APIUser[]): string {
  if (mentions.length === 0) return content;
  const names = new Map(mentions.map((u) => [u.id, u.username]));
  return content.replace(/<@!?(\d+)>/g, (raw, id: string) => {
    const name = names.get(id);
    return name === undefined ? raw : `@${name}`;
  });
}

function mediaOf(attachments: readonly APIAttachment[]): MediaRef[] {
  return attachments.map((a) => {
    const ref: MediaRef = { ref: a.url, name: a.filename, size: a.size };
    if (a.content_type) ref.mimeType = a.content_type;
    return ref;
  });
}

/**
 * A Discord MESSAGE_CREATE as the normalized inbound envelope, or undefined when it is not for the
 * agent (a bot or webhook, the bot itself, a system message, nothing to read). A DM's peer is the
 * sender; a guild message's peer is its channel (kind `group`), a thread its `threadId`. `mentions` are
 * the mentioned user ids; a reply to the bot carries the bot as `replyTo.senderId`; `roles` are the
 * sender's guild roles (for role bindings).
 */
export function normalizeDiscordMessage(
  msg: GatewayMessageCreateDispatchData,
  ctx: NormalizeContext,
): InboundEnvelope | undefined {
  const author = msg.author;
  if (author.bot || msg.webhook_id !== undefined || author.id === ctx.self.id) return undefined;
  if (!USER_MESSAGE_TYPES.has(msg.type)) return undefined;
  const text = renderMentions(msg.content, msg.mentions);
  const media = mediaOf(msg.attachments ?? []);
  if (!text.trim() && media.length === 0) return undefined;
  const guildId = msg.guild_id;
  const envelope: InboundEnvelope = {
    source: 'channel',
    channel: 'discord',
    accountId: ctx.accountId,
    peer:
      guildId === undefined
        ? { kind: 'dm', id: author.id }
        : { kind: 'group', id: ctx.place?.peerId ?? msg.channel_id },
    sender: { id: author.id, name: displayName(author) },
    text,
    messageId: msg.id,
    receivedAt: ctx.receivedAt,
    idempotencyKey: `discord:${ctx.accountId}:${msg.channel_id}:${msg.id}`,
  };
  if (guildId !== undefined) {
    envelope.guildId = guildId;
    const roles = msg.member?.roles ?? [];
    if (roles.length > 0) envelope.roles = [...roles];
    if (ctx.place?.threadId !== undefined) envelope.threadId = ctx.place.threadId;
  }
  const mentions = msg.mentions.map((u) => u.id);
  if (mentions.length > 0) envelope.mentions = [...new Set(mentions)];
  if (media.length > 0) envelope.media = media;
  const quoted = msg.referenced_message;
  if (quoted) {
    const replyTo: NonNullable<InboundEnvelope['replyTo']> = {
      messageId: quoted.id,
      senderId: quoted.author.id,
    };
    if (quoted.content) replyTo.text = quoted.content.slice(0, MAX_QUOTED);
    envelope.replyTo = replyTo;
  } else if (msg.message_reference?.message_id) {
    envelope.replyTo = { messageId: msg.message_reference.message_id };
  }
  return envelope;
}
