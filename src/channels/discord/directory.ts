import type { ChannelGroup, DiscordGuild } from '../../config/index.js';
import { BoundedMap } from '../../shared/index.js';

/** What the adapter knows about one Discord channel. */
export interface ChannelInfo {
  guildId?: string;
  /** For a thread: the channel it lives in. */
  parentId?: string;
  thread: boolean;
}

/** The channel fields the gateway and REST give (a subset of Discord's channel object). */
export interface ChannelLike {
  id: string;
  type: number;
  guild_id?: string | undefined;
  parent_id?: string | null | undefined;
}

/** Discord channel types that are threads (announcement, public and private threads). */
const THREAD_TYPES = new Set([10, 11, 12]);

/**
 * What one Discord account has learned about channels: guild and parent of channels and threads
 * (GUILD_CREATE, THREAD_CREATE, REST lookups), the rooms that carried guild messages (for the group
 * policy), the DM channel of each user, and the channel of recent inbound messages (for reactions).
 * Every map is bounded.
 */
export class ChannelDirectory {
  readonly #info = new BoundedMap<string, ChannelInfo>(20_000);
  readonly #rooms = new BoundedMap<string, string>(5_000);
  readonly #dms = new BoundedMap<string, string>(10_000);
  readonly #messages = new BoundedMap<string, string>(2_000);

  learn(channel: ChannelLike, guildId?: string): ChannelInfo {
    const info: ChannelInfo = { thread: THREAD_TYPES.has(channel.type) };
    const guild = channel.guild_id ?? guildId;
    if (guild !== undefined) info.guildId = guild;
    if (channel.parent_id) info.parentId = channel.parent_id;
    this.#info.set(channel.id, info);
    return info;
  }

  info(channelId: string): ChannelInfo | undefined {
    return this.#info.get(channelId);
  }

  /** A guild channel (never a thread) that carried a message. */
  room(channelId: string, guildId: string): void {
    this.#rooms.set(channelId, guildId);
  }

  dm(userId: string, channelId: string): void {
    this.#dms.set(userId, channelId);
  }

  dmChannel(userId: string): string | undefined {
    return this.#dms.get(userId);
  }

  message(messageId: string, channelId: string): void {
    this.#messages.set(messageId, channelId);
  }

  channelOfMessage(messageId: string): string | undefined {
    return this.#messages.get(messageId);
  }

  /**
   * The account's guild allowlist as the pipeline's group policy, keyed by channel id: every room seen
   * in an allowlisted guild gets that guild's settings (a room outside the guild's `channels` list gets
   * an empty sender allowlist, so nobody can trigger the bot there); `'*'` covers the other guilds.
   */
  groups(guilds: Readonly<Record<string, DiscordGuild>>): Record<string, ChannelGroup> {
    const out: Record<string, ChannelGroup> = {};
    const toGroup = (g: DiscordGuild): ChannelGroup =>
      g.allowFrom
        ? { requireMention: g.requireMention, allowFrom: g.allowFrom }
        : { requireMention: g.requireMention };
    const any = guilds['*'];
    if (any) out['*'] = toGroup(any);
    for (const [room, guildId] of this.#rooms.entries()) {
      const g = guilds[guildId] ?? any;
      if (!g) continue;
      out[room] =
        g.channels && !g.channels.includes(room) ? { requireMention: true, allowFrom: [] } : toGroup(g);
    }
    return out;
  }
}
