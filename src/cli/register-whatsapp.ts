import type { Command } from 'commander';
import { type RegisterCommands, stateOptions } from './options.js';

/** The `channels` command another group made, or a new one (so both groups share one `channels`). */
function channelsCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'channels') ??
    program.command('channels').description('messaging channels: accounts, status, logout')
  );
}

/** `carapace channels login whatsapp [--account <id>] [--force]`: link a WhatsApp account by QR code. */
export const registerWhatsAppCommands: RegisterCommands = (program, ctx, done) => {
  stateOptions(
    channelsCommand(program)
      .command('login')
      .description('link a WhatsApp account as a new device: scan the QR code shown in the terminal')
      .argument('<channel>', 'channel: whatsapp')
      .option('--account <id>', "account id (default 'default')")
      .option('--force', 'link again even if the account is already linked (replaces the old link)'),
  ).action(async (channel, opts) =>
    done(await (await import('./commands/whatsapp-login.js')).channelsLogin(ctx, channel, opts)),
  );
};
