import pc from 'picocolors';
import type { AccountStatusView, ChannelsStatus } from '../../channels/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, withGateway } from '../context.js';
import { formatJson } from '../format.js';
import { formatAge, formatCount, formatTable } from '../table.js';

type Flags = ConnectionFlags & StateFlags & { json?: boolean };

/** Flags of `carapace channels logout`. */
export interface ChannelsLogoutFlags extends Flags {
  account?: string;
}

/** One word for an account's state. */
export function accountState(a: AccountStatusView): string {
  if (!a.enabled) return 'disabled';
  if (a.loggedOut) return 'logged out';
  if (a.connected) return 'connected';
  if (a.running) return 'connecting';
  return 'stopped';
}

function colorState(state: string): string {
  if (state === 'connected') return pc.green(state);
  if (state === 'connecting' || state === 'logged out') return pc.yellow(state);
  if (state === 'stopped') return pc.red(state);
  return pc.dim(state);
}

const age = (ts: number | undefined, now: number) => (ts === undefined ? '-' : formatAge(ts, now));

/**
 * The `channels status` report: one row per account (state, bot, last message in and out, deliveries
 * pending and failed), then each account's last error with its age.
 */
export function formatChannelsStatus(status: ChannelsStatus, now: number): string {
  const accounts = Object.values(status.channelAccounts).flat();
  if (accounts.length === 0) {
    return 'no channel accounts configured (add one with: carapace channels add telegram --token-env TELEGRAM_BOT_TOKEN)\n';
  }
  const rows = accounts.map((a) => [
    a.channel,
    a.accountId,
    colorState(accountState(a)),
    a.self?.username ? `@${a.self.username}` : (a.self?.id ?? '-'),
    age(a.lastInboundAt, now),
    age(a.lastOutboundAt, now),
    a.stats ? formatCount(a.stats.pending) : '-',
    a.stats ? formatCount(a.stats.failed + a.stats.unknown) : '-',
  ]);
  let out = formatTable(
    [
      { header: 'CHANNEL' },
      { header: 'ACCOUNT' },
      { header: 'STATE' },
      { header: 'BOT' },
      { header: 'LAST IN' },
      { header: 'LAST OUT' },
      { header: 'PENDING', align: 'right' },
      { header: 'FAILED', align: 'right' },
    ],
    rows,
  );
  for (const a of accounts) {
    if (!a.lastError) continue;
    const when = a.lastErrorAt === undefined ? '' : ` (${formatAge(a.lastErrorAt, now)})`;
    out += `${pc.red(`${a.channel}/${a.accountId}:`)} ${a.lastError}${pc.dim(when)}\n`;
  }
  return out;
}

/** `carapace channels status`: connectivity, last messages and deliveries of every channel account. */
export async function channelsStatus(ctx: CliContext, flags: Flags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const status = await client.call<ChannelsStatus>('channels.status', {});
    ctx.io.out(flags.json ? formatJson(status, true) : formatChannelsStatus(status, Date.now()));
    return 0;
  });
}

/** `carapace channels logout <channel>`: stop an account until its config changes. */
export async function channelsLogout(
  ctx: CliContext,
  channel: string,
  flags: ChannelsLogoutFlags,
): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const result = await client.call<{ channel: string; accountId: string; cleared: boolean }>(
      'channels.logout',
      { channel, ...(flags.account ? { accountId: flags.account } : {}) },
    );
    if (flags.json) {
      ctx.io.out(formatJson(result, true));
      return 0;
    }
    ctx.io.out(`${pc.green('logged out:')} ${result.channel}/${result.accountId} is stopped\n`);
    ctx.io.out(
      pc.dim(
        result.cleared
          ? 'its saved session was erased; it starts again when its config changes\n'
          : 'it stays stopped until its config changes (the credentials live in the config: remove the account with `carapace channels remove`)\n',
      ),
    );
    return 0;
  });
}
