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

/** `channels`: messaging platforms the gateway listens on. */
export const ChannelsSchema = Type.Object(
  { telegram: TelegramSchema, whatsapp: WhatsAppSchema },
  { ...closed, default: {} },
);
export type ChannelsConfig = Static<typeof ChannelsSchema>;
