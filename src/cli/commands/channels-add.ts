import { resolve } from 'node:path';
import type { ChannelsConfig, SecretRef } from '../../config/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type StateFlags, usageError } from '../context.js';

/** Channels the CLI can add accounts for. */
export const CONFIGURABLE_CHANNELS = ['telegram', 'discord', 'slack', 'whatsapp'] as const;
/** One of CONFIGURABLE_CHANNELS. */
export type ConfigurableChannel = (typeof CONFIGURABLE_CHANNELS)[number];

/** Flags of `carapace channels add`. Secrets come only as references: an environment variable or a file. */
export interface ChannelsAddFlags extends ConnectionFlags, StateFlags {
  account?: string;
  /** Telegram and Discord: the bot token. */
  tokenEnv?: string;
  tokenFile?: string;
  /** Slack: the bot token (xoxb-…), the app token (xapp-…, socket mode), the signing secret (http mode). */
  botTokenEnv?: string;
  botTokenFile?: string;
  appTokenEnv?: string;
  appTokenFile?: string;
  signingSecretEnv?: string;
  signingSecretFile?: string;
  mode?: 'socket' | 'http';
  /** Inline secrets: accepted by the parser only to be refused with a clear message. */
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  dmPolicy?: 'pairing' | 'allowlist' | 'open' | 'disabled';
  allowFrom?: string;
  /** Telegram: Bot API base URL. */
  apiRoot?: string;
  /** Discord and Slack: API base URL. */
  apiUrl?: string;
  fileOnly?: boolean;
}

type SecretFlag = 'botToken' | 'appToken' | 'signingSecret';
type Specific = Exclude<keyof ChannelsAddFlags, keyof ConnectionFlags | keyof StateFlags>;

/** The flags only some channels take (the policy flags and --account are common to all). */
const OWN_FLAGS: Readonly<Record<ConfigurableChannel, readonly Specific[]>> = {
  telegram: ['tokenEnv', 'tokenFile', 'apiRoot'],
  discord: ['tokenEnv', 'tokenFile', 'apiUrl'],
  slack: [
    'botTokenEnv',
    'botTokenFile',
    'appTokenEnv',
    'appTokenFile',
    'signingSecretEnv',
    'signingSecretFile',
    'mode',
    'apiUrl',
  ],
  whatsapp: [],
};
const ALL_OWN = [...new Set(Object.values(OWN_FLAGS).flat())];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

const kebab = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** What to pass instead of an inline secret flag, per channel. */
function refFlags(channel: ConfigurableChannel, flag: SecretFlag): string {
  if (channel === 'whatsapp')
    return 'nothing: whatsapp has no token (link it with `carapace channels login whatsapp`)';
  const base = channel === 'slack' ? flag : 'token';
  return `${kebab(`${base}Env`)} <VAR> or ${kebab(`${base}File`)} <path>`;
}

/** Refuse a secret given inline (it would stay in the shell history and show in the process list). */
function refuseInline(channel: ConfigurableChannel, flags: ChannelsAddFlags): void {
  for (const flag of ['botToken', 'appToken', 'signingSecret'] as const) {
    if (flags[flag] === undefined) continue;
    throw usageError(
      `${kebab(flag)} is refused: secrets are never given inline on the command line (they would stay in the shell history and show in the process list). Put it in an environment variable of the gateway or in a file (0600) and pass ${refFlags(channel, flag)}`,
    );
  }
}

/** Refuse flags that belong to another channel, naming the ones this channel takes. */
function refuseForeign(channel: ConfigurableChannel, flags: ChannelsAddFlags): void {
  const own = OWN_FLAGS[channel];
  const foreign = ALL_OWN.filter((f) => flags[f] !== undefined && !own.includes(f));
  if (foreign.length === 0) return;
  const takes = own.length
    ? `it takes ${own.map(kebab).join(', ')}`
    : 'it has no token: link it with `carapace channels login whatsapp` after adding it';
  throw usageError(
    `${foreign.map(kebab).join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not for ${channel}: ${takes}`,
  );
}

/** An account id, checked: 1-64 letters, digits, `_` or `-`. */
export function checkAccount(id: string): string {
  if (!ACCOUNT_ID.test(id)) throw usageError(`account id '${id}' must be 1-64 letters, digits, '_' or '-'`);
  return id;
}

/** A known channel, or a usage error listing them. */
export function checkChannel(channel: string): ConfigurableChannel {
  if (!(CONFIGURABLE_CHANNELS as readonly string[]).includes(channel)) {
    throw usageError(`unknown channel '${channel}' (known: ${CONFIGURABLE_CHANNELS.join(', ')})`);
  }
  return channel as ConfigurableChannel;
}

/**
 * The reference exactly one of `--<name>-env VAR` or `--<name>-file PATH` gives (a relative path is made
 * absolute here, where the user typed it).
 */
function secretRef(flags: ChannelsAddFlags, name: string, what: string): SecretRef {
  const envKey = `${name}Env` as Specific;
  const fileKey = `${name}File` as Specific;
  const env = flags[envKey] as string | undefined;
  const file = flags[fileKey] as string | undefined;
  if ((env === undefined) === (file === undefined)) {
    // `--token` is taken by the gateway connection flags: a bot token typed there is refused here.
    const hint =
      env === undefined && flags.token !== undefined
        ? "; --token is the gateway's own auth token, not the bot's: a secret never goes on the command line"
        : '';
    throw usageError(
      `give the ${what} as exactly one of ${kebab(envKey)} <VAR> or ${kebab(fileKey)} <path>${hint}`,
    );
  }
  if (env !== undefined) {
    // The value is not echoed: it may be the secret itself, typed in the wrong place.
    if (!ENV_NAME.test(env)) {
      throw usageError(
        `the value of ${kebab(envKey)} is not an environment variable name (letters, digits, '_'): name the variable that holds the ${what} (e.g. export MY_TOKEN=… in the gateway's environment, then ${kebab(envKey)} MY_TOKEN); the ${what} itself never goes on the command line`,
      );
    }
    return { source: 'env', id: env };
  }
  if (!file?.trim()) throw usageError(`${kebab(fileKey)} must not be empty`);
  return { source: 'file', path: file.startsWith('~/') ? file : resolve(file) };
}

/** The account entry of `carapace channels add`, as a JSON merge patch. */
export interface AccountPatch {
  patch: Record<string, unknown>;
  /** Flags given as references to environment variables (the gateway reads them from its own environment). */
  envVars: string[];
}

/**
 * With a merge patch `{source:'file', path}` over `{source:'env', id}` would keep `id`: when the kind of
 * reference changes, the old key is removed explicitly (`null`).
 */
function switched(next: SecretRef, before: unknown): Record<string, unknown> | SecretRef {
  if (typeof next === 'string' || typeof before !== 'object' || before === null) return next;
  const old = before as { source?: unknown };
  if (old.source === next.source) return next;
  return next.source === 'env' ? { ...next, path: null } : { ...next, id: null };
}

/**
 * Check the flags of `carapace channels add <channel>` and build the account entry (a JSON merge patch on
 * `channels.<channel>.accounts.<id>`). Usage errors for inline secrets, flags of another channel, missing
 * or doubled references. `existing` is the channels section of the current config.
 */
export function buildAccountPatch(
  channel: ConfigurableChannel,
  accountId: string,
  flags: ChannelsAddFlags,
  existing?: ChannelsConfig,
): AccountPatch {
  refuseInline(channel, flags);
  refuseForeign(channel, flags);
  const before = (existing?.[channel].accounts as Record<string, Record<string, unknown>> | undefined)?.[
    accountId
  ];
  const patch: Record<string, unknown> = { enabled: true };
  const envVars: string[] = [];
  const put = (key: string, ref: SecretRef) => {
    patch[key] = switched(ref, before?.[key]);
    if (typeof ref === 'object' && ref.source === 'env') envVars.push(ref.id);
  };
  if (channel === 'telegram' || channel === 'discord') {
    put('botToken', secretRef(flags, 'token', 'bot token'));
  } else if (channel === 'slack') {
    const mode = flags.mode ?? 'socket';
    put('botToken', secretRef(flags, 'botToken', 'bot token (xoxb-…)'));
    if (mode === 'socket') {
      if (flags.signingSecretEnv !== undefined || flags.signingSecretFile !== undefined) {
        throw usageError('the signing secret is for --mode http; socket mode takes the app token');
      }
      put('appToken', secretRef(flags, 'appToken', 'app token (xapp-…, socket mode)'));
    } else {
      if (flags.appTokenEnv !== undefined || flags.appTokenFile !== undefined) {
        throw usageError('the app token is for socket mode; --mode http takes the signing secret');
      }
      put('signingSecret', secretRef(flags, 'signingSecret', 'signing secret (--mode http)'));
    }
    patch.mode = mode;
  }
  if (flags.dmPolicy) patch.dmPolicy = flags.dmPolicy;
  if (flags.allowFrom !== undefined) {
    patch.allowFrom = flags.allowFrom
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (flags.apiRoot) patch.apiRoot = flags.apiRoot;
  if (flags.apiUrl) patch.apiUrl = flags.apiUrl;
  return { patch, envVars };
}
