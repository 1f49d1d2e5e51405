import { type APIGatewayBotInfo, GatewayIntentBits } from '@discordjs/core';
import type { REST } from '@discordjs/rest';
import { type SessionInfo, WebSocketManager } from '@discordjs/ws';

/**
 * The gateway intents the adapter asks for: guild metadata (channels and threads), guild and direct
 * messages, and message content (privileged: enable "Message Content Intent" for the bot in the
 * Developer Portal, or guild messages that do not mention the bot arrive without text).
 */
export const DISCORD_INTENTS =
  GatewayIntentBits.Guilds |
  GatewayIntentBits.GuildMessages |
  GatewayIntentBits.DirectMessages |
  GatewayIntentBits.MessageContent;

/** A WebSocketManager whose gateway URL can be pinned (GET /gateway/bot still gives the shard count). */
class PinnedGateway extends WebSocketManager {
  readonly #url: string | undefined;

  constructor(options: ConstructorParameters<typeof WebSocketManager>[0], url: string | undefined) {
    super(options);
    this.#url = url;
  }

  override async fetchGatewayInformation(force = false): Promise<APIGatewayBotInfo> {
    const info = await super.fetchGatewayInformation(force);
    return this.#url ? { ...info, url: this.#url } : info;
  }
}

export interface GatewayOptions {
  token: string;
  rest: REST;
  gatewayUrl?: string | undefined;
  /** Once aborted, the shards never open another connection (see below). */
  signal: AbortSignal;
}

/**
 * A gateway connection for one bot. Session info (for RESUME) is kept per account, never in
 * @discordjs/ws's process-wide default store, which two bots in one process would share. After
 * `signal` aborts, a shard that is sleeping before a reconnect would still open a new connection
 * after `destroy()`; retrieving the session then never resolves, so that connection is never made.
 */
export function createGateway(options: GatewayOptions): WebSocketManager {
  const sessions = new Map<number, SessionInfo>();
  return new PinnedGateway(
    {
      token: options.token,
      intents: DISCORD_INTENTS,
      rest: options.rest,
      retrieveSessionInfo: (shardId) =>
        options.signal.aborted ? new Promise<never>(() => {}) : (sessions.get(shardId) ?? null),
      updateSessionInfo: (shardId, info) => {
        if (info) sessions.set(shardId, info);
        else sessions.delete(shardId);
      },
    },
    options.gatewayUrl,
  );
}
