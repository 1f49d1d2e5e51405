import pc from 'picocolors';
import type { PairingApproveResult, PairingListEntry } from '../../channels/index.js';
import type { GatewayClient } from '../client/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, statePaths, withGateway } from '../context.js';
import { formatJson } from '../format.js';
import { formatAge, formatTable } from '../table.js';
import { gatewayOwnsState } from './channels-local.js';

type Flags = ConnectionFlags & StateFlags & { json?: boolean };

/** Flags of `carapace pairing list`. */
export interface PairingListFlags extends Flags {
  channel?: string;
}

/** Flags of `carapace pairing approve`. */
export interface PairingApproveFlags extends Flags {
  account?: string;
}

/**
 * Run `viaGateway` against the gateway, or `locally` on the state dir's files when no gateway runs there.
 * A `--url` (or CARAPACE_GATEWAY_URL) always means the gateway; otherwise the state dir's lock decides:
 * a live gateway keeps the pairing files in memory, so only it may change them.
 */
async function gatewayOrLocal<T>(
  ctx: CliContext,
  flags: Flags,
  viaGateway: (client: GatewayClient) => Promise<T>,
  locally: () => Promise<T>,
): Promise<T> {
  const explicit = Boolean(flags.url ?? ctx.env.url);
  if (!explicit && !(await gatewayOwnsState(statePaths(flags)))) return locally();
  return withGateway(ctx, flags, viaGateway);
}

const localNote = (ctx: CliContext, what: string) =>
  ctx.io.err(pc.dim(`no gateway is running on this state dir: ${what} the pairing files directly\n`));

/** `carapace pairing list [--channel C]`: pending pairing codes (channel, account, code, sender, expiry). */
export async function pairingList(ctx: CliContext, flags: PairingListFlags): Promise<number> {
  const requests = await gatewayOrLocal(
    ctx,
    flags,
    async (client) =>
      (
        await client.call<{ requests: PairingListEntry[] }>(
          'pairing.list',
          flags.channel ? { channel: flags.channel } : {},
        )
      ).requests,
    async () => {
      localNote(ctx, 'reading');
      const { listPairingInState } = await import('../../channels/index.js');
      return listPairingInState(statePaths(flags), flags.channel);
    },
  );
  if (flags.json) {
    ctx.io.out(formatJson({ requests }, true));
    return 0;
  }
  if (requests.length === 0) {
    ctx.io.out(`no pending pairing requests${flags.channel ? ` on ${flags.channel}` : ''}\n`);
    return 0;
  }
  const now = Date.now();
  const rows = requests.map((r) => [
    r.channel,
    r.accountId,
    r.code,
    r.senderName ? `${r.senderId} (${r.senderName})` : r.senderId,
    formatAge(r.createdAt, now),
    `in ${Math.max(0, Math.ceil((r.expiresAt - now) / 60_000))}m`,
  ]);
  ctx.io.out(
    formatTable(
      [
        { header: 'CHANNEL' },
        { header: 'ACCOUNT' },
        { header: 'CODE' },
        { header: 'SENDER' },
        { header: 'REQUESTED' },
        { header: 'EXPIRES' },
      ],
      rows,
    ),
  );
  ctx.io.out(pc.dim('approve one with: carapace pairing approve <channel> <code>\n'));
  return 0;
}

/**
 * `carapace pairing approve <channel> <code>`: the code's sender may DM the bot from now on. Through the
 * running gateway (`pairing.approve`, which also tells the sender), else in the state dir's pairing file.
 */
export async function pairingApprove(
  ctx: CliContext,
  channel: string,
  code: string,
  flags: PairingApproveFlags,
): Promise<number> {
  const req = { channel, code, ...(flags.account ? { accountId: flags.account } : {}) };
  let local = false;
  const result = await gatewayOrLocal(
    ctx,
    flags,
    (client) => client.call<PairingApproveResult & { ok: true }>('pairing.approve', req),
    async () => {
      local = true;
      localNote(ctx, 'approving in');
      const { approvePairingInState } = await import('../../channels/index.js');
      return approvePairingInState(statePaths(flags), req);
    },
  );
  if (flags.json) {
    ctx.io.out(formatJson({ ...result, ok: true, local }, true));
    return 0;
  }
  const who = result.senderName ? `${result.senderId} (${result.senderName})` : result.senderId;
  ctx.io.out(`${pc.green('approved:')} ${who} may now message ${result.channel}/${result.accountId}\n`);
  ctx.io.out(
    pc.dim(
      local
        ? 'written to the pairing file (no gateway was running); the sender is not notified, their next message is answered\n'
        : 'the gateway is telling the sender they can talk to the bot now\n',
    ),
  );
  return 0;
}
