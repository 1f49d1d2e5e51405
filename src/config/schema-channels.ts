import Type, { type Static } from 'typebox';
import { SecretRefSchema } from './schema-secret.js';

const closed = { additionalProperties: false } as const;
const Id = Type.String({ minLength: 1 });
const DM_POLICY_HELP =
  "'pairing' (default: unknown senders get a code the owner approves), 'allowlist' (allowFrom and senders approved earlier), 'open' (anyone), 'disabled'.";

/**
 * Who may talk to the bot in direct messages: `pairing` (unknown senders get a short code the owner
 * approves), `allowlist` (only `allowFrom`), `open` (anyone), `disabled` (no DMs).
 */
export const DmPolicySchema = Type.Union(
  [Type.Literal('pairing'), Type.Literal('allowlist'), Type.Literal('open'), Type.Literal('disabled')],
  { description: DM_POLICY_HELP },
);
export type DmPolicy = Static<typeof DmPolicySchema>;

/** One allowlisted group (or `'*'`: every group the bot is in). */
export const ChannelGroupSchema = Type.Object(
  {
    requireMention: Type.Boolean({
      default: true,
      description: 'Answer only when the bot is mentioned, replied to, or a mention pattern matches.',
    }),
    allowFrom: Type.Optional(
      Type.Array(Id, {
        description: 'Stable sender ids allowed to trigger the bot in this group (default: every member).',
      }),
    ),
  },
  closed,
);
export type ChannelGroup = Static<typeof ChannelGroupSchema>;

/** The DM and group policy every channel account shares. */
export const channelPolicyProperties = {
  dmPolicy: Type.Union(DmPolicySchema.anyOf, { default: 'pairing', description: DM_POLICY_HELP }),
  allowFrom: Type.Array(Id, {
    default: [],
    description:
      'Stable sender ids (for Telegram: numeric user ids) always allowed to DM. Display names and usernames never authorise.',
  }),
  groups: Type.Unsafe<Record<string, ChannelGroup>>(
    Type.Object(
      {},
      {
        additionalProperties: ChannelGroupSchema,
        default: {},
        description: "Allowlisted groups by chat id, or '*' for every group; groups not listed are ignored.",
      },
    ),
  ),
  mentionPatterns: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      description: 'Extra case-insensitive regular expressions that count as mentioning the bot in groups.',
    }),
  ),
  historyLimit: Type.Integer({
    minimum: 0,
    maximum: 200,
    default: 20,
    description: 'Recent unanswered group messages given to the agent as context when it is mentioned.',
  }),
  ackReaction: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'An emoji reaction set on an inbound message when its turn starts (where supported).',
    }),
  ),
};

export const TelegramAccountSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    botToken: Type.Union(SecretRefSchema.anyOf, {
      'x-secret': true,
      description: 'The bot token from @BotFather; prefer { source: "env" | "file" } over an inline string.',
    }),
    apiRoot: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Bot API base URL (default https://api.telegram.org); tests point it at a fake.',
      }),
    ),
    ...channelPolicyProperties,
  },
  closed,
);
export type TelegramAccount = Static<typeof TelegramAccountSchema>;

export const TelegramSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    accounts: Type.Unsafe<Record<string, TelegramAccount>>(
      Type.Object(
        {},
        {
          additionalProperties: TelegramAccountSchema,
          default: {},
          description: 'Telegram bots by account id (one bot token each).',
        },
      ),
    ),
  },
  { ...closed, default: {} },
);
export type TelegramConfig = Static<typeof TelegramSchema>;

export const WhatsAppAccountSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    ...channelPolicyProperties,
    allowFrom: Type.Array(Id, {
      default: [],
      description:
        'Phone numbers (E.164, e.g. "+15551234567") always allowed to DM. Display names never authorise.',
    }),
    groups: Type.Unsafe<Record<string, ChannelGroup>>(
      Type.Object(
        {},
        {
          additionalProperties: ChannelGroupSchema,
          default: {},
          description:
            'Allowlisted groups by id ("120363…@g.us" or the part before @), or \'*\' for every group; others are ignored.',
        },
      ),
    ),
  },
  closed,
);
export type WhatsAppAccount = Static<typeof WhatsAppAccountSchema>;

export const WhatsAppSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    accounts: Type.Unsafe<Record<string, WhatsAppAccount>>(
      Type.Object(
        {},
        {
          additionalProperties: WhatsAppAccountSchema,
          default: {},
          description:
            'WhatsApp accounts by id (each a linked device: carapace channels login whatsapp --account <id>).',
        },
      ),
    ),
  },
  { ...closed, default: {} },
);
export type WhatsAppConfig = Static<typeof WhatsAppSchema>;

/** The policy properties of a channel account, without `groups` (Discord and Slack name their own). */
const { groups: _groups, ...policyWithoutGroups } = channelPolicyProperties;

/** One allowlisted Discord guild (server), or `'*'` for every guild the bot is in. */
export const DiscordGuildSchema = Type.Object(
  {
    requireMention: Type.Boolean({
      default: true,
      description: 'Answer only when the bot is mentioned, replied to, or a mention pattern matches.',
    }),
    channels: Type.Optional(
      Type.Array(Id, {
        description:
          'Channel ids the bot listens in (a thread follows its parent channel); default: every channel of the guild.',
      }),
    ),
    allowFrom: Type.Optional(
      Type.Array(Id, {
        description: 'User ids allowed to trigger the bot in this guild (default: every member).',
      }),
    ),
  },
  closed,
);
export type DiscordGuild = Static<typeof DiscordGuildSchema>;

export const DiscordAccountSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    botToken: Type.Union(SecretRefSchema.anyOf, {
      'x-secret': true,
      description:
        'The bot token (Developer Portal → your application → Bot → Reset Token); prefer { source: "env" | "file" }.',
    }),
    apiUrl: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description:
          'REST API base URL without the version (default https://discord.com/api); tests point it at a fake.',
      }),
    ),
    gatewayUrl: Type.Optional(
      Type.String({
        pattern: '^wss?://',
        description: 'Gateway WebSocket URL (default: the one GET /gateway/bot answers).',
      }),
    ),
    ...policyWithoutGroups,
    allowFrom: Type.Array(Id, {
      default: [],
      description:
        'Discord user ids (numeric snowflakes) always allowed to DM. Display names and usernames never authorise.',
    }),
    guilds: Type.Unsafe<Record<string, DiscordGuild>>(
      Type.Object(
        {},
        {
          additionalProperties: DiscordGuildSchema,
          default: {},
          description:
            "Allowlisted guilds by id, or '*' for every guild; messages in other guilds are ignored.",
        },
      ),
    ),
  },
  closed,
);
export type DiscordAccount = Static<typeof DiscordAccountSchema>;

export const DiscordSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    accounts: Type.Unsafe<Record<string, DiscordAccount>>(
      Type.Object(
        {},
        {
          additionalProperties: DiscordAccountSchema,
          default: {},
          description: 'Discord bots by account id (one bot token each).',
        },
      ),
    ),
  },
  { ...closed, default: {} },
);
export type DiscordConfig = Static<typeof DiscordSchema>;

export const SlackAccountSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    mode: Type.Union([Type.Literal('socket'), Type.Literal('http')], {
      default: 'socket',
      description:
        "'socket' (default: Socket Mode, an outbound WebSocket; needs appToken) or 'http' (the Events API posts to an HTTP endpoint; needs signingSecret).",
    }),
    botToken: Type.Union(SecretRefSchema.anyOf, {
      'x-secret': true,
      description: 'The bot token (xoxb-…, OAuth & Permissions); prefer { source: "env" | "file" }.',
    }),
    appToken: Type.Optional(
      Type.Union(SecretRefSchema.anyOf, {
        'x-secret': true,
        description: 'The app-level token (xapp-…, with the connections:write scope) for Socket Mode.',
      }),
    ),
    signingSecret: Type.Optional(
      Type.Union(SecretRefSchema.anyOf, {
        'x-secret': true,
        description: 'The signing secret (Basic Information) that verifies Events API requests in http mode.',
      }),
    ),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
        path: Type.String({ pattern: '^/', default: '/slack/events' }),
      },
      {
        ...closed,
        default: {},
        description: 'Where the Events API endpoint listens in http mode (put a TLS reverse proxy in front).',
      },
    ),
    apiUrl: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'Web API base URL (default https://slack.com/api/); tests point it at a fake.',
      }),
    ),
    ...policyWithoutGroups,
    allowFrom: Type.Array(Id, {
      default: [],
      description: 'Slack user ids (U…) always allowed to DM. Display names never authorise.',
    }),
    channels: Type.Unsafe<Record<string, ChannelGroup>>(
      Type.Object(
        {},
        {
          additionalProperties: ChannelGroupSchema,
          default: {},
          description:
            "Allowlisted channels by id (C…, G…), or '*' for every channel the bot is in; others are ignored.",
        },
      ),
    ),
  },
  closed,
);
export type SlackAccount = Static<typeof SlackAccountSchema>;

export const SlackSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    accounts: Type.Unsafe<Record<string, SlackAccount>>(
      Type.Object(
        {},
        {
          additionalProperties: SlackAccountSchema,
          default: {},
          description: 'Slack apps by account id: one per workspace (each with its own bot token).',
        },
      ),
    ),
  },
  { ...closed, default: {} },
);
export type SlackConfig = Static<typeof SlackSchema>;

/** `channels`: messaging platforms the gateway listens on. */
export const ChannelsSchema = Type.Object(
  { telegram: TelegramSchema, whatsapp: WhatsAppSchema, discord: DiscordSchema, slack: SlackSchema },
  { ...closed, default: {} },
);
export type ChannelsConfig = Static<typeof ChannelsSchema>;
