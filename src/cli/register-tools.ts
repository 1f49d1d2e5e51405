import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { connectionOptions, type Done, type RegisterCommands, stateOptions } from './options.js';

/** `carapace tools list` (no gateway needed) and `carapace approvals …` (exec approvals on a running gateway). */
export const registerToolsCommands: RegisterCommands = (program, ctx, done) => {
  addToolsCommands(program, ctx, done);
  addApprovalsCommands(program, ctx, done);
};

function addToolsCommands(program: Command, ctx: CliContext, done: Done): void {
  const tools = program.command('tools').description('the tools agents may use, and the policy that decides');
  stateOptions(
    tools
      .command('list')
      .description('every tool, allowed or not, with the setting that decided (no gateway needed)')
      .option('--agent <id>', 'agent (default: the default agent)')
      .option('--session <key>', "session key (default: the agent's main session); decides exec's sandbox")
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await import('./commands/tools.js')).toolsList(ctx, opts)));
}

function addApprovalsCommands(program: Command, ctx: CliContext, done: Done): void {
  const approvals = program
    .command('approvals')
    .description('answer exec approval requests and manage approved commands (running gateway)');
  const load = () => import('./commands/approvals.js');
  connectionOptions(
    approvals
      .command('list')
      .description('exec approval requests waiting for an answer: id, agent, session, command, cwd, age')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).approvalsList(ctx, opts)));
  connectionOptions(
    approvals
      .command('allow')
      .description('run a pending command (once, or --always to add it to the exec allowlist)')
      .argument('<id>', 'request id from approvals list (any unique prefix)')
      .option('--always', 'allow-always: also approve the same command from now on')
      .option('--json', 'print JSON'),
  ).action(async (id, opts) =>
    done(await (await load()).approvalsResolve(ctx, id, opts.always ? 'allow-always' : 'allow-once', opts)),
  );
  connectionOptions(
    approvals
      .command('deny')
      .description('refuse a pending command')
      .argument('<id>', 'request id from approvals list (any unique prefix)')
      .option('--json', 'print JSON'),
  ).action(async (id, opts) => done(await (await load()).approvalsResolve(ctx, id, 'deny', opts)));
  const allowlist = approvals
    .command('allowlist')
    .description('commands approved with allow-always (or set by an admin): list, remove');
  connectionOptions(
    allowlist
      .command('list', { isDefault: true })
      .description('the approved entries: id, agent, argv, pinned program, when added')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).approvalsAllowlist(ctx, opts)));
  connectionOptions(
    allowlist
      .command('remove')
      .description('forget one approved entry (the command asks again next time)')
      .argument('<id>', 'entry id from approvals allowlist (any unique prefix)')
      .option('--json', 'print JSON'),
  ).action(async (id, opts) => done(await (await load()).approvalsAllowlistRemove(ctx, id, opts)));
}
