import pc from 'picocolors';
import { linkWhatsApp, renderQr, type WhatsAppSocketFactory, whatsappAuthDir } from '../../channels/index.js';
import { type CliContext, type StateFlags, usageError } from '../context.js';
import { loadLocalConfig } from '../local-config.js';

/** Flags of `carapace channels login`. */
export interface ChannelsLoginFlags extends StateFlags {
  account?: string;
  force?: boolean;
}

const phone = (id: string) => (/^\d+$/.test(id) ? `+${id}` : id);

/**
 * `carapace channels login whatsapp`: link the account as a new device. Prints each QR code WhatsApp
 * offers, waits until the phone scanned one and the connection opened, then exits. The credentials go to
 * `<stateDir>/credentials/whatsapp/<account>/` (0700), where a running gateway picks them up.
 * `socketFactory` is the Baileys socket port (default: the real one).
 */
export async function channelsLogin(
  ctx: CliContext,
  channel: string,
  flags: ChannelsLoginFlags,
  socketFactory?: WhatsAppSocketFactory,
): Promise<number> {
  if (channel !== 'whatsapp') {
    throw usageError(
      `'${channel}' has no device login: only whatsapp links by QR code (bot tokens go in the config: carapace channels add)`,
    );
  }
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const accountId = flags.account ?? 'default';
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let shown = 0;
  try {
    const result = await linkWhatsApp({
      authDir: whatsappAuthDir(local.paths.credentialsDir, accountId),
      accountId,
      signal: abort.signal,
      force: flags.force === true,
      ...(socketFactory ? { socketFactory } : {}),
      onQr: (qr) => {
        if (shown++ === 0) {
          ctx.io.out(
            `Link WhatsApp account '${accountId}': on your phone open WhatsApp → Settings → Linked devices → Link a device, and scan:\n\n`,
          );
        }
        ctx.io.out(`${renderQr(qr)}\n`);
        ctx.io.out(pc.dim('(a new code replaces this one about every 20 seconds; Ctrl-C cancels)\n\n'));
      },
    });
    const who = `${phone(result.id)}${result.name ? ` (${result.name})` : ''}`;
    if (result.alreadyLinked) {
      ctx.io.out(`WhatsApp account '${accountId}' is already linked to ${who}.\n`);
      ctx.io.out(pc.dim('To link another phone: carapace channels login whatsapp --force\n'));
      return 0;
    }
    ctx.io.out(`${pc.green('linked:')} WhatsApp account '${accountId}' is ${who}\n`);
    const configured = local.config.channels.whatsapp.accounts[accountId] !== undefined;
    ctx.io.out(
      pc.dim(
        configured
          ? 'A running gateway connects within 15 seconds; otherwise start one with: carapace gateway run\n'
          : `Add it to the config so the gateway uses it: carapace channels add whatsapp${accountId === 'default' ? '' : ` --account ${accountId}`}\n`,
      ),
    );
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
