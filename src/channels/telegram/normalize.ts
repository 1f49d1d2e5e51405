import type { Message, UserFromGetMe } from 'grammy/types';
import type { InboundEnvelope, MediaRef } from '../../routing/index.js';

const MAX_QUOTED = 500;

function displayName(user: { first_name: string; last_name?: string; username?: string }): string {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ').trim();
  return name || (user.username ? `@${user.username}` : '');
}

function mediaOf(message: Message): MediaRef[] {
  const out: MediaRef[] = [];
  const photo = message.photo?.at(-1);
  if (photo)
    out.push({
      ref: `telegram:file:${photo.file_id}`,
      mimeType: 'image/jpeg',
      ...(photo.file_size ? { size: photo.file_size } : {}),
    });
  const doc = message.document ?? message.audio ?? message.video ?? message.voice;
  if (doc) {
    const ref: MediaRef = { ref: `telegram:file:${doc.file_id}` };
    if (doc.mime_type) ref.mimeType = doc.mime_type;
    if ('file_name' in doc && doc.file_name) ref.name = doc.file_name;
    if (doc.file_size) ref.size = doc.file_size;
    out.push(ref);
  }
  return out;
}

/**
 * The ids a message mentions: `text_mention` users by id, `@username` mentions of the bot as the bot's
 * id (usernames of others stay `@name`, which never authorises anything), and the bot's id when the
 * message replies to one of the bot's messages.
 */
function mentionsOf(message: Message, text: string, me: UserFromGetMe): string[] {
  const out = new Set<string>();
  const entities = message.entities ?? message.caption_entities ?? [];
  for (const e of entities) {
    if (e.type === 'text_mention') out.add(String(e.user.id));
    if (e.type === 'mention') {
      const name = text.slice(e.offset, e.offset + e.length);
      out.add(name.toLowerCase() === `@${me.username.toLowerCase()}` ? String(me.id) : name);
    }
  }
  if (message.reply_to_message?.from?.id === me.id) out.add(String(me.id));
  return [...out];
}

/**
 * A Telegram message as the normalized inbound envelope, or undefined when it is not for the agent
 * (sent by a bot, a service message without text or media, a channel post). Private chats are DMs;
 * groups and supergroups are groups; a forum topic is a thread.
 */
export function normalizeMessage(
  message: Message,
  accountId: string,
  me: UserFromGetMe,
  receivedAt: number,
): InboundEnvelope | undefined {
  const from = message.from;
  if (!from || from.is_bot) return undefined;
  const chat = message.chat;
  if (chat.type === 'channel') return undefined;
  const text = message.text ?? message.caption ?? '';
  const media = mediaOf(message);
  if (!text && media.length === 0) return undefined;
  const envelope: InboundEnvelope = {
    source: 'channel',
    channel: 'telegram',
    accountId,
    peer: { kind: chat.type === 'private' ? 'dm' : 'group', id: String(chat.id) },
    sender: { id: String(from.id) },
    text,
    messageId: String(message.message_id),
    receivedAt,
    idempotencyKey: `telegram:${accountId}:${chat.id}:${message.message_id}`,
  };
  const name = displayName(from);
  if (name) envelope.sender.name = name;
  if (message.is_topic_message && message.message_thread_id !== undefined) {
    envelope.threadId = String(message.message_thread_id);
  }
  const mentions = mentionsOf(message, text, me);
  if (mentions.length > 0) envelope.mentions = mentions;
  if (media.length > 0) envelope.media = media;
  const quoted = message.reply_to_message;
  if (quoted) {
    const replyTo: NonNullable<InboundEnvelope['replyTo']> = { messageId: String(quoted.message_id) };
    if (quoted.from) replyTo.senderId = String(quoted.from.id);
    const quotedText = quoted.text ?? quoted.caption;
    if (quotedText) replyTo.text = quotedText.slice(0, MAX_QUOTED);
    envelope.replyTo = replyTo;
  }
  return envelope;
}
