import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from './context.js';
import { type Done, type RegisterCommands, stateOptions } from './options.js';

/** A whole number ≥ 0 for commander (`--lines 0` with `--follow`: only new lines). */
function parseLines(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number (0 or more)');
  return Number(value);
}

/**
 * `carapace doctor`, `carapace security audit`, `carapace gateway install|uninstall|status|restart` and
 * `carapace logs` (the state dir and config; no gateway needed).
 */
export const registerOpsCommands: RegisterCommands = (program, ctx, done) => {
  stateOptions(
    program
      .command('doctor')
      .description(
        'check config, permissions, lock and port, Node, sandbox, credentials, workspace, file formats',
      )
      .option('--fix', 'repair what is safe (modes, a stale lock, missing workspace files); backups first')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts) => done(await (await import('./commands/doctor.js')).doctor(ctx, opts)));

  const security = program.command('security').description('security checks of this installation');
  stateOptions(
    security
      .command('audit')
      .description('one finding per risk with its severity and the exact fix (exit 1 on any high one)')
      .option('--fix', 'apply the safe fixes (permissions; config tightenings, with carapace.json.bak)')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts) => done(await (await import('./commands/audit.js')).securityAudit(ctx, opts)));

  const gateway = program.commands.find((c) => c.name() === 'gateway');
  if (gateway) addServiceCommands(gateway, ctx, done);

  stateOptions(
    program
      .command('logs')
      .description("print the gateway's log file (pretty; --json for the raw JSON lines)")
      .option('-f, --follow', 'keep printing new lines as they are written (Ctrl-C stops)')
      .option('--json', 'print the raw JSON lines')
      .option('-n, --lines <n>', 'how many of the last lines to print first (default 50)', parseLines),
  ).action(async (opts) => done(await (await import('./commands/logs.js')).logs(ctx, opts)));
};

function addServiceCommands(gateway: Command, ctx: CliContext, done: Done): void {
  const load = () => import('./commands/service.js');
  stateOptions(
    gateway
      .command('install')
      .description('run the gateway as a systemd user service (unit written, enabled, started)'),
  ).action(async (opts) => done(await (await load()).serviceCommand(ctx, 'install', opts)));
  stateOptions(
    gateway.command('uninstall').description('stop and disable the service and remove its unit file'),
  ).action(async (opts) => done(await (await load()).serviceCommand(ctx, 'uninstall', opts)));
  stateOptions(
    gateway
      .command('status')
      .description('what systemd says about the gateway service (exit 1 when it is not running)')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).serviceCommand(ctx, 'status', opts)));
  stateOptions(gateway.command('restart').description('restart the gateway service')).action(async (opts) =>
    done(await (await load()).serviceCommand(ctx, 'restart', opts)),
  );
}
