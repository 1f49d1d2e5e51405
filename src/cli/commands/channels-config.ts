import pc from 'picocolors';
import type { ChannelGroup, Config, SecretRef } from '../../config/index.js';
import type { ConnectionFlags } from '../connection.js';
import type { CliContext, StateFlags } from '../context.js';
import { formatJson } from '../format.js';
import { loadLocalConfig } from '../local-config.js';
import { formatTable } from '../table.js';
import {
  buildAccountPatch,
  type ChannelsAddFlags,
  CONFIGURABLE_CHANNELS,
  type ConfigurableChannel,
  checkAccount,
  checkChannel,
} from './channels-add.js';
import { configSet } from './config.js';

export type { ChannelsAddFlags } from './channels-add.js';
export { CONFIGURABLE_CHANNELS } from './channels-add.js';

/** Flags of `carapace channels remove`. */
export interface ChannelsRemoveFlags extends ConnectionFlags, StateFlags {
  account?: string;
  fileOnly?: boolean;
}

/** Where a token comes from, without the token. */
export function describeToken(ref: SecretRef | undefined): string {
  if (ref === undefined) return 'missing';
  if (typeof ref === 'string') return 'inline';
  return ref.source === 'env' ? `env ${ref.id}` : `file ${ref.path}`;
}

/** One row of `carapace channels list`. */
export interface ChannelAccountEntry {
  channel: ConfigurableChannel;
  accountId: string;
  enabled: boolean;
  /** Where the secrets come from (never the secrets), or whether a WhatsApp device is linked. */
  credentials: string;
  dmPolicy: string;
  allowFrom: number;
  /** Allowlisted groups: Telegram and WhatsApp groups, Discord guilds, Slack channels. */
  groups: string[];
}

interface AnyAccount {
  enabled: boolean;
  dmPolicy: string;
  allowFrom: string[];
  botToken?: SecretRef;
  appToken?: SecretRef;
  signingSecret?: SecretRef;
  mode?: 'socket' | 'http';
  groups?: Record<string, ChannelGroup>;
  guilds?: Record<string, unknown>;
  channels?: Record<string, unknown>;
}

/** The credentials column of an account (WhatsApp: `linkedTo`, the phone of its linked device, if any). */
function credentials(channel: ConfigurableChannel, a: AnyAccount, linkedTo: string | undefined): string {
  if (channel === 'whatsapp') return linkedTo ? `linked ${linkedTo}` : 'not linked';
  if (channel !== 'slack') return describeToken(a.botToken);
  const second =
    a.mode === 'http' ? `signing ${describeToken(a.signingSecret)}` : `app ${describeToken(a.appToken)}`;
  return `${a.mode ?? 'socket'}: bot ${describeToken(a.botToken)}, ${second}`;
}

/** Every configured account of the four channels, in channel order. */
async function accountEntries(config: Config, credentialsDir: string): Promise<ChannelAccountEntry[]> {
  const out: ChannelAccountEntry[] = [];
  for (const channel of CONFIGURABLE_CHANNELS) {
    const section = config.channels[channel] as { enabled: boolean; accounts: Record<string, AnyAccount> };
    for (const [id, a] of Object.entries(section.accounts)) {
      let linkedTo: string | undefined;
      if (channel === 'whatsapp') {
        const { whatsappAuthDir, whatsappLinkedAccount } = await import('../../channels/index.js');
        const me = await whatsappLinkedAccount(whatsappAuthDir(credentialsDir, id)).catch(() => undefined);
        // A device id is `<phone>:<device>@s.whatsapp.net`.
        if (me) linkedTo = `+${me.id.split(/[:@]/)[0] ?? me.id}`;
      }
      out.push({
        channel,
        accountId: id,
        enabled: section.enabled && a.enabled,
        credentials: credentials(channel, a, linkedTo),
        dmPolicy: a.dmPolicy,
        allowFrom: a.allowFrom.length,
        groups: Object.keys(a.groups ?? a.guilds ?? a.channels ?? {}),
      });
    }
  }
  return out;
}

/** `carapace channels list`: configured channel accounts from the config file (no gateway needed). */
export async function channelsList(ctx: CliContext, flags: StateFlags & { json?: boolean }): Promise<number> {
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const accounts = await accountEntries(local.config, local.paths.credentialsDir);
  if (flags.json) {
    ctx.io.out(formatJson({ accounts }, true));
    return 0;
  }
  if (accounts.length === 0) {
    ctx.io.out(
      `no channel accounts in ${local.paths.configPath} (add one with: carapace channels add telegram --token-env TELEGRAM_BOT_TOKEN; or discord, slack, whatsapp)\n`,
    );
    return 0;
  }
  const rows = accounts.map((a) => [
    a.channel,
    a.accountId,
    a.enabled ? 'yes' : 'no',
    a.credentials,
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
        { header: 'CREDENTIALS' },
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
 * `carapace channels add <channel> …`: add (or update) an account in the config, through the running
 * gateway when there is one (it starts the account without a restart), else in the file. Secrets never go
 * on the command line: they are referenced from the gateway's environment or a file. A WhatsApp account
 * has no secret; it is linked afterwards with `carapace channels login whatsapp`.
 */
export async function channelsAdd(
  ctx: CliContext,
  channelName: string,
  flags: ChannelsAddFlags,
): Promise<number> {
  const channel = checkChannel(channelName);
  const id = checkAccount(flags.account ?? 'default');
  // Checked once without the current config, so bad flags exit 2 before anything is read.
  buildAccountPatch(channel, id, flags);
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const { patch, envVars } = buildAccountPatch(channel, id, flags, local.config.channels);
  const code = await configSet(ctx, `channels.${channel}.accounts.${id}`, JSON.stringify(patch), flags);
  if (code !== 0) return code;
  if (envVars.length > 0) {
    ctx.io.out(pc.dim(`the gateway reads ${envVars.join(' and ')} from its own environment\n`));
  }
  if (channel === 'whatsapp') {
    const login = `carapace channels login whatsapp${id === 'default' ? '' : ` --account ${id}`}`;
    ctx.io.out(`next: link the phone with ${pc.bold(login)} (it prints a QR code to scan)\n`);
  }
  return 0;
}

/** `carapace channels remove <channel> [--account A]`: remove an account from the config. */
export async function channelsRemove(
  ctx: CliContext,
  channelName: string,
  flags: ChannelsRemoveFlags,
): Promise<number> {
  const channel = checkChannel(channelName);
  const id = checkAccount(flags.account ?? 'default');
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  if (!(id in local.config.channels[channel].accounts)) {
    ctx.io.err(`${pc.red('error:')} ${channel} has no account '${id}' in ${local.paths.configPath}\n`);
    return 1;
  }
  const code = await configSet(ctx, `channels.${channel}.accounts.${id}`, 'null', flags);
  if (code === 0 && channel === 'whatsapp') {
    const { whatsappAuthDir } = await import('../../channels/index.js');
    ctx.io.out(
      pc.dim(
        `the device link stays in ${whatsappAuthDir(local.paths.credentialsDir, id)}; \`carapace channels logout whatsapp\` (before remove) unlinks it\n`,
      ),
    );
  }
  return code;
}
