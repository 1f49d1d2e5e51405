import type { proto, WAMessage } from 'baileys';
import type { InboundEnvelope, MediaRef } from '../../routing/index.js';
import { idOfJid, isPhoneJid, jidKind } from './jid.js';

const MAX_QUOTED = 500;
const MAX_UNWRAP = 4;

type Content = proto.IMessage;
type WithContext = { contextInfo?: proto.IContextInfo | null };

/** The message inside wrappers (disappearing, view-once, captioned documents). */
export function unwrapContent(message: Content | null | undefined): Content | undefined {
  let m = message ?? undefined;
  for (let i = 0; m && i < MAX_UNWRAP; i++) {
    const inner =
      m.ephemeralMessage?.message ??
      m.viewOnceMessage?.message ??
      m.viewOnceMessageV2?.message ??
      m.viewOnceMessageV2Extension?.message ??
      m.documentWithCaptionMessage?.message;
    if (!inner) break;
    m = inner;
  }
  return m;
}

/** The text a person wrote: plain text, extended text, or a media caption. */
export function textOf(m: Content | undefined): string {
  if (!m) return '';
  return (
    m.conversation ??
    m.extendedTextMessage?.text ??
    m.imageMessage?.caption ??
    m.videoMessage?.caption ??
    m.documentMessage?.caption ??
    ''
  );
}

function contextOf(m: Content): proto.IContextInfo | undefined {
  const parts: (WithContext | null | undefined)[] = [
    m.extendedTextMessage,
    m.imageMessage,
    m.videoMessage,
    m.documentMessage,
    m.audioMessage,
    m.stickerMessage,
  ];
  return parts.find((p) => p?.contextInfo)?.contextInfo ?? undefined;
}

function sizeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const toNumber = (v as { toNumber?: () => number } | null)?.toNumber;
  return typeof toNumber === 'function' ? toNumber.call(v) : undefined;
}

function mediaOf(m: Content, messageId: string): MediaRef[] {
  const kinds = [
    m.imageMessage,
    m.videoMessage,
    m.audioMessage,
    m.documentMessage,
    m.stickerMessage,
  ] as const;
  const out: MediaRef[] = [];
  for (const media of kinds) {
    if (!media) continue;
    const ref: MediaRef = { ref: `whatsapp:media:${messageId}` };
    if (media.mimetype) ref.mimeType = media.mimetype;
    if ('fileName' in media && media.fileName) ref.name = media.fileName;
    const size = sizeOf(media.fileLength);
    if (size !== undefined && size >= 0) ref.size = size;
    out.push(ref);
  }
  return out;
}

/** A person's JID, preferring the phone-number form when WhatsApp sends a linked id (`@lid`) with it. */
function personJid(primary: string | null | undefined, alt: string | null | undefined): string | undefined {
  if (!primary) return alt ?? undefined;
  return !isPhoneJid(primary) && isPhoneJid(alt) ? (alt ?? undefined) : primary;
}

/** Who the bot is, in the id forms mentions use. */
export interface Self {
  ids: readonly string[];
}

/**
 * A WhatsApp message as the normalized inbound envelope, or undefined when it is not for the agent: sent
 * by this account, a status/broadcast/newsletter post, a protocol message (edits, deletions, keys), or
 * one with neither text nor media. `…@s.whatsapp.net` and `…@lid` chats are DMs, `…@g.us` chats groups;
 * `contextInfo.mentionedJid` (and quoting one of the bot's messages) are mentions.
 */
export function normalizeMessage(
  msg: WAMessage,
  accountId: string,
  self: Self,
  receivedAt: number,
): InboundEnvelope | undefined {
  const key = msg.key;
  const remoteJid = key.remoteJid;
  const messageId = key.id;
  if (key.fromMe || !remoteJid || !messageId) return undefined;
  const kind = jidKind(remoteJid);
  if (kind === 'other') return undefined;
  const content = unwrapContent(msg.message);
  if (!content || content.protocolMessage || content.reactionMessage) return undefined;
  const text = textOf(content);
  const media = mediaOf(content, messageId);
  if (!text && media.length === 0) return undefined;
  const peerJid = kind === 'group' ? remoteJid : (personJid(remoteJid, key.remoteJidAlt) ?? remoteJid);
  const senderJid = kind === 'group' ? personJid(key.participant, key.participantAlt) : peerJid;
  if (!senderJid) return undefined;
  const envelope: InboundEnvelope = {
    source: 'channel',
    channel: 'whatsapp',
    accountId,
    peer: { kind: kind === 'group' ? 'group' : 'dm', id: idOfJid(peerJid) },
    sender: { id: idOfJid(senderJid) },
    text,
    messageId,
    receivedAt,
    idempotencyKey: `whatsapp:${accountId}:${remoteJid}:${messageId}`,
  };
  const name = msg.pushName?.trim();
  if (name) envelope.sender.name = name;
  const context = contextOf(content);
  const mentions = new Set((context?.mentionedJid ?? []).map(idOfJid));
  const quotedFrom = context?.participant ? idOfJid(context.participant) : undefined;
  if (quotedFrom && self.ids.includes(quotedFrom)) mentions.add(quotedFrom);
  if (mentions.size > 0) envelope.mentions = [...mentions];
  if (media.length > 0) envelope.media = media;
  if (context?.stanzaId) {
    const replyTo: NonNullable<InboundEnvelope['replyTo']> = { messageId: context.stanzaId };
    if (quotedFrom) replyTo.senderId = quotedFrom;
    const quotedText = textOf(unwrapContent(context.quotedMessage));
    if (quotedText) replyTo.text = quotedText.slice(0, MAX_QUOTED);
    envelope.replyTo = replyTo;
  }
  return envelope;
}
