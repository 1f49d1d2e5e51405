import { Command, CommanderError, Option } from 'commander';
import { type CliContext, exitCodeFor, printError } from './context.js';
import {
  connectionOptions,
  type Done,
  parsePort,
  parsePositiveInt,
  type RegisterCommands,
  stateOptions,
} from './options.js';
import { registerChannelCommands } from './register-channels.js';
import { registerCronCommands } from './register-cron.js';
import { registerImportCommands } from './register-import.js';
import { registerMemoryCommands } from './register-memory.js';
import { registerOpsCommands } from './register-ops.js';
import { registerSkillsCommands } from './register-skills.js';
import { registerToolsCommands } from './register-tools.js';
import { registerWhatsAppCommands } from './register-whatsapp.js';

/**
 * The command tree. Each action loads its command module with `import()` so a one-shot command
 * (`carapace health`) loads only the client, never the gateway.
 */

/**
 * Command groups that live in their own `register-*.ts` files (one import and one entry each).
 * The order here is the order in `carapace --help`.
 */
const COMMAND_GROUPS: readonly RegisterCommands[] = [
  registerChannelCommands,
  // After registerChannelCommands: adds `channels login` to the `channels` command made there.
  registerWhatsAppCommands,
  registerCronCommands,
  registerToolsCommands,
  registerSkillsCommands,
  registerMemoryCommands,
  registerImportCommands,
  // After the built-in `gateway` command: adds `gateway install|uninstall|status|restart` to it.
  registerOpsCommands,
];

/** Build the `carapace` program. `setExit` receives a command's exit status when it is not 0. */
export function createProgram(ctx: CliContext, setExit: (code: number) => void): Command {
  const program = new Command('carapace')
    .description('Carapace: a local-first, gateway-centric AI agent framework')
    .version(ctx.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    // Options belong to the command they follow, so `agent context --json` is context's --json, not agent's.
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  const done: Done = (code) => {
    if (code) setExit(code);
  };

  const gateway = program.command('gateway').description('run the gateway or call its methods');
  stateOptions(
    gateway
      .command('run')
      .description('run the gateway in the foreground (Ctrl-C stops it)')
      .option('--port <port>', 'port to listen on (overrides gateway.port; 0 picks a free one)', (v) =>
        parsePort(v, true),
      )
      .option(
        '--bind <host>',
        "address to listen on: 'loopback', 'lan', 'all' or an IP (overrides gateway.bind)",
      ),
  ).action(async (opts) => done(await (await import('./commands/gateway-run.js')).gatewayRun(ctx, opts)));

  connectionOptions(
    gateway
      .command('call')
      .description('call any gateway method and print its result as JSON')
      .argument('<method>', 'method name, e.g. health, status, config.get')
      .option('--params <json>', 'method params as a JSON object (default: none)')
      .option('--expect-final', 'wait for the final answer of a method that first answers "accepted"')
      .option('--json', 'print compact single-line JSON')
      .option('--timeout <ms>', 'give up after this many milliseconds', parsePositiveInt),
  ).action(async (method, opts) =>
    done(await (await import('./commands/gateway-call.js')).gatewayCall(ctx, method, opts)),
  );

  connectionOptions(
    program
      .command('health')
      .description("show the gateway's health")
      .option('--json', 'print the raw health payload as JSON'),
  ).action(async (opts) => done(await (await import('./commands/health.js')).health(ctx, opts)));

  connectionOptions(
    program
      .command('status')
      .description('show a summary of the running gateway')
      .option('--json', 'print the raw status payload as JSON'),
  ).action(async (opts) => done(await (await import('./commands/health.js')).status(ctx, opts)));

  addConfigCommands(program, ctx, done);
  addOnboardCommand(program, ctx, done);
  addRouteCommand(program, ctx, done);
  addSessionsCommands(program, ctx, done);
  addAgentCommands(program, ctx, done);
  addUsageCommand(program, ctx, done);
  for (const register of COMMAND_GROUPS) register(program, ctx, done);
  return program;
}

function addConfigCommands(program: Command, ctx: CliContext, done: Done): void {
  const config = program.command('config').description('read, change and check carapace.json');
  const load = () => import('./commands/config.js');
  stateOptions(config.command('path').description('print the path of the config file')).action(async (opts) =>
    done(await (await load()).configPath(ctx, opts)),
  );
  stateOptions(
    config
      .command('get')
      .description('print the config file (or one value), secrets redacted')
      .argument('[path]', 'dotted path, e.g. gateway.port or agents.list[0].id')
      .option('--json', 'print JSON (the default for objects is pretty JSON5-like JSON too)'),
  ).action(async (path, opts) => done(await (await load()).configGet(ctx, path, opts)));
  connectionOptions(
    config
      .command('set')
      .description('set one value (JSON5, else a plain string); hot-reloads a running gateway')
      .argument('<path>', 'dotted path, e.g. gateway.port')
      .argument('<value>', 'the value: 18790, true, "text", [1,2], {a:1} … (null removes the key)')
      .option('--file-only', 'edit the file even when a gateway is running (no hot reload)'),
  ).action(async (path, value, opts) => done(await (await load()).configSet(ctx, path, value, opts)));
  stateOptions(
    config.command('validate').description('check the config file and list every problem with its path'),
  ).action(async (opts) => done(await (await load()).configValidate(ctx, opts)));
}

function addOnboardCommand(program: Command, ctx: CliContext, done: Done): void {
  program
    .command('onboard')
    .description('set up Carapace: config, gateway token and agent workspace')
    .option('--non-interactive', 'take every answer from flags (for scripts)')
    .option('--port <port>', 'gateway port', (v) => parsePort(v))
    .option('--bind <host>', "'loopback' (default), 'lan', 'all' or an IP address")
    .addOption(new Option('--auth <mode>', 'how clients authenticate').choices(['token', 'password']))
    .option(
      '--password <password>',
      'gateway password (with --auth password); stored 0600, referenced by the config',
    )
    .option('--workspace <dir>', 'agent workspace folder (default: <state dir>/workspace)')
    .option('--state-dir <dir>', 'state directory (default: CARAPACE_STATE_DIR or ~/.carapace)')
    .option('--force', 'replace an existing config (the old one is kept as carapace.json.bak)')
    .action(async (opts) => done(await (await import('./commands/onboard.js')).onboard(ctx, opts)));
}

function addRouteCommand(program: Command, ctx: CliContext, done: Done): void {
  stateOptions(
    program
      .command('route')
      .description(
        'show which agent and session a message would get, and which rule decided (no gateway needed)',
      )
      .requiredOption('--channel <channel>', 'channel the message arrives on, e.g. telegram')
      .option('--account <id>', 'channel account id')
      .option('--peer <kind:id>', 'who it comes from: dm:<id>, group:<id> or channel:<id>')
      .option('--guild <id>', 'guild (Discord server) id')
      .option('--team <id>', 'team (Slack workspace) id')
      .option('--roles <ids>', "the sender's Discord role ids, comma-separated (for role bindings)")
      .option('--thread <id>', 'thread id')
      .option('--json', 'print the route as JSON'),
  ).action(async (opts) => done(await (await import('./commands/route.js')).route(ctx, opts)));
}

function addSessionsCommands(program: Command, ctx: CliContext, done: Done): void {
  const sessions = program.command('sessions').description('list, read, reset and delete sessions');
  const load = () => import('./commands/sessions.js');
  connectionOptions(
    sessions
      .command('list')
      .description('sessions, newest first: key, agent, last update, messages, tokens')
      .option('--agent <id>', 'only this agent')
      .option('--limit <n>', 'show at most this many (default 100)', parsePositiveInt)
      .option('--active <minutes>', 'only sessions updated in the last N minutes', parsePositiveInt)
      .option('--search <text>', 'only keys or labels containing this text')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).sessionsList(ctx, opts)));
  connectionOptions(
    sessions
      .command('show')
      .description("a session's newest messages")
      .argument('<key>', "session key, e.g. agent:main:main (or 'main')")
      .option('--limit <n>', 'messages to show (default 20, at most 1000)', parsePositiveInt)
      .option('--json', 'print the chat.history page as JSON'),
  ).action(async (key, opts) => done(await (await load()).sessionsShow(ctx, key, opts)));
  connectionOptions(
    sessions
      .command('reset')
      .description('start a fresh session for a key (the old transcript is kept)')
      .argument('<key>', 'session key')
      .option('--json', 'print JSON'),
  ).action(async (key, opts) => done(await (await load()).sessionsReset(ctx, key, opts)));
  connectionOptions(
    sessions
      .command('delete')
      .description('forget a session key (its transcript is archived, not erased)')
      .argument('<key>', 'session key')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--json', 'print JSON'),
  ).action(async (key, opts) => done(await (await load()).sessionsDelete(ctx, key, opts)));
}

function addAgentCommands(program: Command, ctx: CliContext, done: Done): void {
  const agent = connectionOptions(
    program
      .command('agent')
      .description('run one agent turn through the gateway and stream the reply')
      .enablePositionalOptions()
      .option('-m, --message <text>', 'the message to send (required)')
      .option('--agent <id>', 'agent to run (default: the default agent)')
      .option('--session <key>', "session key (default: the agent's main session)")
      .addOption(
        new Option('--thinking <level>', 'thinking level').choices([
          'off',
          'minimal',
          'low',
          'medium',
          'high',
        ]),
      )
      .option('--timeout <seconds>', 'stop the run after this many seconds', parsePositiveInt)
      .option('--json', 'print only the final result as JSON (no streaming)'),
  ).action(async (opts) => done(await (await import('./commands/agent.js')).agentRun(ctx, opts)));
  stateOptions(
    agent
      .command('context')
      .description('show what goes into the system prompt and how big each part is (no gateway needed)')
      .option('--agent <id>', 'agent (default: the default agent)')
      .option('--session <key>', "session key (default: the agent's main session)")
      .option('--json', 'print the full report (with the prompt) as JSON')
      .option('--print', 'print the whole system prompt'),
  ).action(async (opts) => done(await (await import('./commands/agent-context.js')).agentContext(ctx, opts)));
}

function addUsageCommand(program: Command, ctx: CliContext, done: Done): void {
  connectionOptions(
    program
      .command('usage')
      .description('token totals per session and overall')
      .option('--agent <id>', 'only this agent')
      .option('--session <key>', 'only this session')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await import('./commands/usage.js')).usage(ctx, opts)));
}

/**
 * Run the CLI with `argv` (as in `process.argv`). Resolves with the exit status: 0 success, 1 failure,
 * 2 usage error (bad flags or arguments). Never throws.
 */
export async function runCli(ctx: CliContext, argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = createProgram(ctx, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    printError(ctx, err);
    return exitCodeFor(err);
  }
}
