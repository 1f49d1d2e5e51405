import type { Config, DmPolicy, SecretRef } from '../config/index.js';

/** The channels whose accounts live under `channels.<name>.accounts`. */
export type ChannelName = 'telegram' | 'whatsapp' | 'discord' | 'slack';

/** A group-like allowlist entry (a Telegram/WhatsApp group, a Discord guild, a Slack channel). */
export interface GroupView {
  requireMention: boolean;
  allowFrom?: readonly string[] | undefined;
}

/** A secret an account uses, and whether the account needs it in its current mode. */
export interface AccountSecret {
  key: 'botToken' | 'appToken' | 'signingSecret';
  ref: SecretRef | undefined;
  required: boolean;
}

/** One channel account, the same shape for every channel. */
export interface ChannelAccountView {
  channel: ChannelName;
  accountId: string;
  /** The channel and the account are both enabled. */
  enabled: boolean;
  /** Where the account sits in the config document. */
  path: readonly (string | number)[];
  dmPolicy: DmPolicy;
  allowFrom: readonly string[];
  /** The config key of its group allowlist: `groups`, `guilds` (Discord) or `channels` (Slack). */
  groupsKey: 'groups' | 'guilds' | 'channels';
  groups: Readonly<Record<string, GroupView>>;
  secrets: AccountSecret[];
}

/** `telegram:work` */
export function accountLabel(a: Pick<ChannelAccountView, 'channel' | 'accountId'>): string {
  return `${a.channel}:${a.accountId}`;
}

/** Every configured channel account, in config order (telegram, whatsapp, discord, slack). */
export function channelAccounts(config: Config): ChannelAccountView[] {
  const out: ChannelAccountView[] = [];
  const ch = config.channels;
  const base = (channel: ChannelName, id: string, on: boolean, a: { enabled: boolean }) => ({
    channel,
    accountId: id,
    enabled: on && a.enabled,
    path: ['channels', channel, 'accounts', id] as const,
  });
  for (const [id, a] of Object.entries(ch.telegram.accounts)) {
    out.push({
      ...base('telegram', id, ch.telegram.enabled, a),
      dmPolicy: a.dmPolicy,
      allowFrom: a.allowFrom,
      groupsKey: 'groups',
      groups: a.groups,
      secrets: [{ key: 'botToken', ref: a.botToken, required: true }],
    });
  }
  for (const [id, a] of Object.entries(ch.whatsapp.accounts)) {
    out.push({
      ...base('whatsapp', id, ch.whatsapp.enabled, a),
      dmPolicy: a.dmPolicy,
      allowFrom: a.allowFrom,
      groupsKey: 'groups',
      groups: a.groups,
      secrets: [],
    });
  }
  for (const [id, a] of Object.entries(ch.discord.accounts)) {
    out.push({
      ...base('discord', id, ch.discord.enabled, a),
      dmPolicy: a.dmPolicy,
      allowFrom: a.allowFrom,
      groupsKey: 'guilds',
      groups: a.guilds,
      secrets: [{ key: 'botToken', ref: a.botToken, required: true }],
    });
  }
  for (const [id, a] of Object.entries(ch.slack.accounts)) {
    out.push({
      ...base('slack', id, ch.slack.enabled, a),
      dmPolicy: a.dmPolicy,
      allowFrom: a.allowFrom,
      groupsKey: 'channels',
      groups: a.channels,
      secrets: [
        { key: 'botToken', ref: a.botToken, required: true },
        { key: 'appToken', ref: a.appToken, required: a.mode === 'socket' },
        { key: 'signingSecret', ref: a.signingSecret, required: a.mode === 'http' },
      ],
    });
  }
  return out;
}

/** A secret reference anywhere in the config outside the channels, and whether it is in use. */
export interface SecretSite {
  /** Dotted config path, e.g. `models.providers.openai.apiKey`. */
  path: string;
  ref: SecretRef;
  /** False when the setting is present but not used (e.g. `hooks.token` while hooks are off). */
  inUse: boolean;
}

/** The gateway, hooks, model provider and web search secrets the config references. */
export function secretSites(config: Config): SecretSite[] {
  const out: SecretSite[] = [];
  const auth = config.gateway.auth;
  if (auth.token) out.push({ path: 'gateway.auth.token', ref: auth.token, inUse: auth.mode === 'token' });
  if (auth.password) {
    out.push({ path: 'gateway.auth.password', ref: auth.password, inUse: auth.mode === 'password' });
  }
  if (config.hooks.token)
    out.push({ path: 'hooks.token', ref: config.hooks.token, inUse: config.hooks.enabled });
  for (const [id, p] of Object.entries(config.models.providers)) {
    if (p.apiKey) out.push({ path: `models.providers.${id}.apiKey`, ref: p.apiKey, inUse: true });
    (p.apiKeys ?? []).forEach((ref, i) => {
      out.push({ path: `models.providers.${id}.apiKeys[${i}]`, ref, inUse: true });
    });
  }
  const search = config.tools.web.search;
  if (search.apiKey) {
    out.push({ path: 'tools.web.search.apiKey', ref: search.apiKey, inUse: search.provider !== undefined });
  }
  return out;
}

/** `{ source: 'env', id: 'X' }` → `environment variable X`; a file ref → `file <path>`; inline → `inline`. */
export function describeRef(ref: SecretRef): string {
  if (typeof ref === 'string') return 'an inline value';
  return ref.source === 'env' ? `environment variable ${ref.id}` : `file ${ref.path}`;
}

/** Environment variables the config's secrets (in use) are read from, sorted and without duplicates. */
export function envSecretNames(config: Config): string[] {
  const refs: SecretRef[] = secretSites(config)
    .filter((s) => s.inUse)
    .map((s) => s.ref);
  for (const a of channelAccounts(config)) {
    if (a.enabled) for (const s of a.secrets) if (s.required && s.ref) refs.push(s.ref);
  }
  const names = refs.flatMap((r) => (typeof r === 'object' && r.source === 'env' ? [r.id] : []));
  return [...new Set(names)].sort();
}
