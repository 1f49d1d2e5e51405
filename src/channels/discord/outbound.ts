import type { API } from '@discordjs/core';
import { isCarapaceError } from '../../shared/index.js';
import type { OutboundMessage, SentMessage } from '../contract.js';
import type { ChannelDirectory } from './directory.js';

/** The SDK module (`sdk.ts`), loaded when the first account starts. */
export type DiscordSdk = typeof import('./sdk.js');

/** What sending needs of a running account: its REST API, the SDK and what it learned about channels. */
export interface DiscordOutbound {
  api: API;
  sdk: DiscordSdk;
  directory: ChannelDirectory;
}

/** A send target: `user:<id>` or `channel:<id>` force the reading; a bare id (`any`) may be either. */
export interface DiscordTarget {
  kind: 'user' | 'channel' | 'any';
  id: string;
}

/** Read a `to` of the channel contract as a Discord target. */
export function parseTarget(to: string): DiscordTarget {
  if (to.startsWith('user:')) return { kind: 'user', id: to.slice(5) };
  if (to.startsWith('channel:')) return { kind: 'channel', id: to.slice(8) };
  return { kind: 'any', id: to };
}

/** The channel to post to: a user's DM channel (opened if needed) or the channel id itself. */
export async function channelFor(out: DiscordOutbound, target: DiscordTarget): Promise<string> {
  if (target.kind === 'channel') return target.id;
  const known = out.directory.dmChannel(target.id);
  if (known) return known;
  if (target.kind === 'any') return target.id;
  const dm = await out.api.users.createDM(target.id);
  out.directory.dm(target.id, dm.id);
  return dm.id;
}

/**
 * Post one message: into its thread, else the target's channel; a bare id that is no channel is taken as
 * a user and DMed. Never pings @everyone, @here, roles or the user replied to. SDK errors become
 * channel send errors (`retry` or `fatal`).
 */
export async function sendDiscordMessage(
  out: DiscordOutbound,
  message: OutboundMessage,
): Promise<SentMessage> {
  const { api, sdk } = out;
  const body = {
    content: message.text,
    allowed_mentions: { parse: [sdk.AllowedMentionsTypes.User], replied_user: false },
    ...(message.replyTo !== undefined
      ? { message_reference: { message_id: message.replyTo, fail_if_not_exists: false } }
      : {}),
  };
  const target = parseTarget(message.to);
  try {
    if (message.threadId !== undefined) {
      return { messageId: (await api.channels.createMessage(message.threadId, body)).id };
    }
    const channelId = await channelFor(out, target);
    try {
      return { messageId: (await api.channels.createMessage(channelId, body)).id };
    } catch (err) {
      if (target.kind !== 'any' || !sdk.isUnknownChannel(err)) throw err;
      const dm = await api.users.createDM(target.id);
      out.directory.dm(target.id, dm.id);
      return { messageId: (await api.channels.createMessage(dm.id, body)).id };
    }
  } catch (err) {
    if (isCarapaceError(err)) throw err;
    throw sdk.toSendError(err, 'create message');
  }
}

/** Show "typing…" in the conversation of `to`. */
export async function showTyping(out: DiscordOutbound, to: string): Promise<void> {
  await out.api.channels.showTyping(await channelFor(out, parseTarget(to)));
}

/** React to a message, in the channel it came from when known. */
export async function addReaction(
  out: DiscordOutbound,
  to: string,
  messageId: string,
  emoji: string,
): Promise<void> {
  const channelId = out.directory.channelOfMessage(messageId) ?? (await channelFor(out, parseTarget(to)));
  await out.api.channels.addMessageReaction(channelId, messageId, emoji);
}
