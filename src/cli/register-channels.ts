import { type Command, Option } from 'commander';
import type { CliContext } from './context.js';
import {
  connectionOptions,
  type Done,
  parsePositiveInt,
  type RegisterCommands,
  stateOptions,
} from './options.js';

/**
 * `carapace channels …` (list, status, add, remove, logout), `carapace pairing …` (list, approve) and
 * `carapace message send`.
 */
export const registerChannelCommands: RegisterCommands = (program, ctx, done) => {
  addChannelsCommands(program, ctx, done);
  addPairingCommands(program, ctx, done);
  addMessageCommands(program, ctx, done);
};

function addChannelsCommands(program: Command, ctx: CliContext, done: Done): void {
  const channels = program.command('channels').description('messaging channels: accounts, status, logout');
  const load = () => import('./commands/channels.js');
  const loadConfig = () => import('./commands/channels-config.js');
  stateOptions(
    channels
      .command('list')
      .description('channel accounts in the config: token source, DM policy, groups (no gateway needed)')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await loadConfig()).channelsList(ctx, opts)));
  connectionOptions(
    channels
      .command('status')
      .description(
        'per account: connected, bot, last message in/out, deliveries pending and failed, last error',
      )
      .option('--json', 'print the channels.status payload as JSON'),
  ).action(async (opts) => done(await (await load()).channelsStatus(ctx, opts)));
  connectionOptions(
    addAccountOptions(
      channels
        .command('add')
        .description(
          'add or update a channel account in the config (hot-applied by a running gateway); secrets only by reference',
        )
        .argument('<channel>', 'channel: telegram, discord, slack or whatsapp'),
    ),
  ).action(async (channel, opts) => done(await (await loadConfig()).channelsAdd(ctx, channel, opts)));
  connectionOptions(
    channels
      .command('remove')
      .description('remove a channel account from the config')
      .argument('<channel>', 'channel: telegram, discord, slack or whatsapp')
      .option('--account <id>', "account id (default 'default')")
      .option('--file-only', 'edit the file even when a gateway is running (no hot reload)'),
  ).action(async (channel, opts) => done(await (await loadConfig()).channelsRemove(ctx, channel, opts)));
  connectionOptions(
    channels
      .command('logout')
      .description('stop a channel account on the running gateway until its config changes')
      .argument('<channel>', 'channel, e.g. telegram')
      .option('--account <id>', "account id (default: 'default' or the only one)")
      .option('--json', 'print JSON'),
  ).action(async (channel, opts) => done(await (await load()).channelsLogout(ctx, channel, opts)));
}

/** The options of `carapace channels add`: per channel, its secrets as references (env var or file). */
function addAccountOptions(add: Command): Command {
  const secret = (flag: string, what: string, inline = true) => {
    add
      .option(`--${flag}-env <VAR>`, `read the ${what} from this environment variable of the gateway`)
      .option(`--${flag}-file <path>`, `read the ${what} from this file`);
    // Accepted only to be refused with a clear message: a secret never goes on the command line.
    if (inline) add.addOption(new Option(`--${flag} <value>`).hideHelp());
  };
  add.option('--account <id>', "account id (default 'default')");
  // `--token` itself is the gateway's auth token (connectionOptions).
  secret('token', 'bot token (telegram, discord)', false);
  secret('bot-token', 'bot token xoxb-… (slack)');
  secret('app-token', 'app token xapp-… (slack, socket mode)');
  secret('signing-secret', 'signing secret (slack, --mode http)');
  return add
    .addOption(
      new Option('--mode <mode>', 'slack: socket mode (default) or the HTTP Events API').choices([
        'socket',
        'http',
      ]),
    )
    .addOption(
      new Option('--dm-policy <policy>', 'who may DM the bot (default pairing)').choices([
        'pairing',
        'allowlist',
        'open',
        'disabled',
      ]),
    )
    .option('--allow-from <ids>', 'comma-separated stable sender ids always allowed to DM')
    .option('--api-root <url>', 'telegram: Bot API base URL (default https://api.telegram.org)')
    .option('--api-url <url>', "discord, slack: API base URL (default: the platform's)")
    .option('--file-only', 'edit the file even when a gateway is running (no hot reload)');
}

function addPairingCommands(program: Command, ctx: CliContext, done: Done): void {
  const pairing = program
    .command('pairing')
    .description('approve people who DM a bot (dmPolicy pairing): list and approve codes');
  const load = () => import('./commands/pairing.js');
  connectionOptions(
    pairing
      .command('list')
      .description('pending pairing codes (from the running gateway, else from the state dir)')
      .option('--channel <channel>', 'only this channel')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).pairingList(ctx, opts)));
  connectionOptions(
    pairing
      .command('approve')
      .description('approve a code: its sender may DM the bot from now on (they are told so by the gateway)')
      .argument('<channel>', 'channel, e.g. telegram')
      .argument('<code>', 'the code the sender got, e.g. ABCD2345 (case and dashes do not matter)')
      .option('--account <id>', 'account id (default: whichever account issued the code)')
      .option('--json', 'print JSON'),
  ).action(async (channel, code, opts) =>
    done(await (await load()).pairingApprove(ctx, channel, code, opts)),
  );
}

function addMessageCommands(program: Command, ctx: CliContext, done: Done): void {
  const message = program.command('message').description('send messages on channels without an agent run');
  connectionOptions(
    message
      .command('send')
      .description('deliver a message on a channel (chunked at its limit, retried, durable)')
      .requiredOption('--to <id>', 'the conversation: a chat, group or channel id on the platform')
      .requiredOption('--text <text>', 'the message (Markdown)')
      .option('--channel <channel>', 'channel, e.g. telegram (default: the only configured one)')
      .option('--account <id>', "account id (default: 'default' or the only one)")
      .option('--idempotency-key <key>', 'the same key never delivers twice (default: a fresh one)')
      .option('--timeout <seconds>', 'stop waiting after this long (default 600)', parsePositiveInt)
      .option('--json', 'print the send result as JSON'),
  ).action(async (opts) => done(await (await import('./commands/message.js')).messageSend(ctx, opts)));
}
