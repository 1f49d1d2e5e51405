import pc from 'picocolors';
import type { SecretRef, TelegramAccount } from '../../config/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, usageError } from '../context.js';
import { formatJson } from '../format.js';
import { loadLocalConfig } from '../local-config.js';
import { formatTable } from '../table.js';
import { configSet } from './config.js';

/** Channels the CLI can add accounts for. */
export const CONFIGURABLE_CHANNELS = ['telegram'] as const;

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Flags of `carapace channels add`. */
export interface ChannelsAddFlags extends ConnectionFlags, StateFlags {
  account?: string;
  tokenEnv?: string;
  tokenFile?: string;
  dmPolicy?: 'pairing' | 'allowlist' | 'open' | 'disabled';
  allowFrom?: string;
  apiRoot?: string;
  fileOnly?: boolean;
}

/** Flags of `carapace channels remove`. */
export interface ChannelsRemoveFlags extends ConnectionFlags, StateFlags {
  account?: string;
  fileOnly?: boolean;
}

function checkChannel(channel: string): void {
  if (!(CONFIGURABLE_CHANNELS as readonly string[]).includes(channel)) {
    throw usageError(`unknown channel '${channel}' (known: ${CONFIGURABLE_CHANNELS.join(', ')})`);
  }
}

function checkAccount(id: string): string {
  if (!ACCOUNT_ID.test(id)) throw usageError(`account id '${id}' must be 1-64 letters, digits, '_' or '-'`);
  return id;
}

/** Where a token comes from, without the token. */
export function describeToken(ref: SecretRef): string {
  if (typeof ref === 'string') return 'inline';
  return ref.source === 'env' ? `env ${ref.id}` : `file ${ref.path}`;
}

/** `carapace channels list`: configured channel accounts from the config file (no gateway needed). */
export async function channelsList(ctx: CliContext, flags: StateFlags & { json?: boolean }): Promise<number> {
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const telegram = local.config.channels.telegram;
  const accounts = Object.entries(telegram.accounts).map(([id, a]: [string, TelegramAccount]) => ({
    channel: 'telegram',
    accountId: id,
    enabled: telegram.enabled && a.enabled,
    token: describeToken(a.botToken),
    dmPolicy: a.dmPolicy,
    allowFrom: a.allowFrom.length,
    groups: Object.keys(a.groups),
  }));
  if (flags.json) {
    ctx.io.out(formatJson({ accounts }, true));
    return 0;
  }
  if (accounts.length === 0) {
    ctx.io.out(
      `no channel accounts in ${local.paths.configPath} (add one with: carapace channels add telegram --token-env TELEGRAM_BOT_TOKEN)\n`,
    );
    return 0;
  }
  const rows = accounts.map((a) => [
    a.channel,
    a.accountId,
    a.enabled ? 'yes' : 'no',
    a.token,
    a.dmPolicy,
    String(a.allowFrom),
    a.groups.length ? a.groups.join(', ') : '-',
  ]);
  ctx.io.out(
    formatTable(
      [
        { header: 'CHANNEL' },
        { header: 'ACCOUNT' },
        { header: 'ENABLED' },
        { header: 'TOKEN' },
        { header: 'DM POLICY' },
        { header: 'ALLOW FROM', align: 'right' },
        { header: 'GROUPS' },
      ],
      rows,
    ),
  );
  return 0;
}

/**
 * `carapace channels add telegram --token-env VAR | --token-file PATH`: add (or update) an account in the
 * config, through the running gateway when there is one (it starts the account without a restart). The
 * token itself never goes on the command line: it is referenced from the environment or a file.
 */
export async function channelsAdd(
  ctx: CliContext,
  channel: string,
  flags: ChannelsAddFlags,
): Promise<number> {
  checkChannel(channel);
  const id = checkAccount(flags.account ?? 'default');
  if (Boolean(flags.tokenEnv) === Boolean(flags.tokenFile)) {
    throw usageError('give the bot token as exactly one of --token-env <VAR> or --token-file <path>');
  }
  if (flags.tokenEnv && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags.tokenEnv)) {
    throw usageError(`--token-env '${flags.tokenEnv}' is not an environment variable name`);
  }
  const botToken: SecretRef = flags.tokenEnv
    ? { source: 'env', id: flags.tokenEnv }
    : { source: 'file', path: flags.tokenFile ?? '' };
  const account: Record<string, unknown> = { enabled: true, botToken };
  if (flags.dmPolicy) account.dmPolicy = flags.dmPolicy;
  if (flags.allowFrom !== undefined) {
    account.allowFrom = flags.allowFrom
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (flags.apiRoot) account.apiRoot = flags.apiRoot;
  const code = await configSet(ctx, `channels.${channel}.accounts.${id}`, JSON.stringify(account), flags);
  if (code === 0 && flags.tokenEnv) {
    ctx.io.out(pc.dim(`the gateway reads the token from ${flags.tokenEnv} in its own environment\n`));
  }
  return code;
}

/** `carapace channels remove telegram [--account A]`: remove an account from the config. */
export async function channelsRemove(
  ctx: CliContext,
  channel: string,
  flags: ChannelsRemoveFlags,
): Promise<number> {
  checkChannel(channel);
  const id = checkAccount(flags.account ?? 'default');
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  if (!(id in local.config.channels.telegram.accounts)) {
    ctx.io.err(`${pc.red('error:')} ${channel} has no account '${id}' in ${local.paths.configPath}\n`);
    return 1;
  }
  return configSet(ctx, `channels.${channel}.accounts.${id}`, 'null', flags);
}
