import type { InboundEnvelope, MediaRef } from '../../routing/index.js';
import { slackTextToPlain } from './format.js';

/** The fields of a Slack `message` event the adapter reads (the event is untrusted JSON). */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  parent_user_id?: string;
  team?: string;
  files?: { id?: string; name?: string; mimetype?: string; size?: number; url_private?: string }[];
}

/** Who the bot is in one workspace (from auth.test). */
export interface SlackSelf {
  userId: string;
  botId?: string;
  teamId: string;
  name: string;
}

/** Subtypes a person writes; edits, deletions, joins, bot messages … are not for the agent. */
const USER_SUBTYPES = new Set(['file_share', 'thread_broadcast', 'me_message']);

function mediaOf(files: SlackMessageEvent['files']): MediaRef[] {
  return (files ?? []).map((f) => {
    const ref: MediaRef = { ref: f.url_private ?? `slack:file:${f.id ?? 'unknown'}` };
    if (f.mimetype) ref.mimeType = f.mimetype;
    if (f.name) ref.name = f.name;
    if (typeof f.size === 'number' && f.size >= 0) ref.size = f.size;
    return ref;
  });
}

/** User ids mentioned as `<@U…>` (or `<@U…|name>`). */
export function mentionedIds(text: string): string[] {
  return [...new Set([...text.matchAll(/<@([UW][A-Z0-9]+)(\|[^>]*)?>/g)].map((m) => m[1] as string))];
}

/**
 * A Slack `message` event as the normalized inbound envelope, or undefined when it is not for the
 * agent (a bot, the bot itself, an edit or another system subtype, nothing to read). A DM (`im`) is keyed
 * by the sender; channels, private channels and group DMs are groups keyed by channel id. `thread_ts`
 * becomes the thread; a thread reply carries the thread's starter as `replyTo`. The text is made
 * readable: the bot's own mention becomes `@name`, links their label, entities decoded.
 */
export function normalizeSlackMessage(
  event: SlackMessageEvent,
  ctx: { accountId: string; self: SlackSelf; receivedAt: number; teamId?: string | undefined },
): InboundEnvelope | undefined {
  if (event.type !== 'message' || (event.subtype !== undefined && !USER_SUBTYPES.has(event.subtype))) {
    return undefined;
  }
  const user = event.user;
  if (!user || event.bot_id !== undefined || user === ctx.self.userId) return undefined;
  if (!event.channel || !event.ts) return undefined;
  const raw = event.text ?? '';
  const mentions = mentionedIds(raw);
  const selfMention = new RegExp(`<@${ctx.self.userId}(\\|[^>]*)?>`, 'g');
  const text = slackTextToPlain(raw.replace(selfMention, `@${ctx.self.name}`));
  const media = mediaOf(event.files);
  if (!text.trim() && media.length === 0) return undefined;
  const dm = event.channel_type === 'im';
  const envelope: InboundEnvelope = {
    source: 'channel',
    channel: 'slack',
    accountId: ctx.accountId,
    peer: dm ? { kind: 'dm', id: user } : { kind: 'group', id: event.channel },
    sender: { id: user },
    text,
    messageId: event.ts,
    receivedAt: ctx.receivedAt,
    idempotencyKey: `slack:${ctx.accountId}:${event.channel}:${event.ts}`,
  };
  const teamId = event.team ?? ctx.teamId;
  if (teamId) envelope.teamId = teamId;
  if (mentions.length > 0) envelope.mentions = mentions;
  if (media.length > 0) envelope.media = media;
  if (event.thread_ts !== undefined) {
    envelope.threadId = event.thread_ts;
    if (event.thread_ts !== event.ts) {
      const replyTo: NonNullable<InboundEnvelope['replyTo']> = { messageId: event.thread_ts };
      if (event.parent_user_id) replyTo.senderId = event.parent_user_id;
      envelope.replyTo = replyTo;
    }
  }
  return envelope;
}
