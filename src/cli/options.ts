import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from './context.js';

/** Shared option builders and parsers for the command tree (program.ts and the register-*.ts files). */

/** Receives a command's exit status (non-zero ones are kept as the process exit code). */
export type Done = (code: number | undefined) => void;

/** A file that adds a group of commands to the program. */
export type RegisterCommands = (program: Command, ctx: CliContext, done: Done) => void;

/** Parse a TCP port (1–65535, or 0 when `allowZero`) for commander. */
export function parsePort(value: string, allowZero = false): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535 || (n === 0 && !allowZero)) {
    throw new InvalidArgumentError(`expected a port number 1-65535${allowZero ? ' (or 0 for any)' : ''}`);
  }
  return n;
}

/** Parse a whole number ≥ 1 for commander. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** Add the flags that say how to reach a running gateway. */
export function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'gateway WebSocket URL (default: ws://127.0.0.1:<port from the config>)')
    .option('--token <token>', 'gateway token (default: CARAPACE_GATEWAY_TOKEN, then the local token file)')
    .option('--password <password>', 'gateway password (default: CARAPACE_GATEWAY_PASSWORD)')
    .option('--state-dir <dir>', 'state directory (default: CARAPACE_STATE_DIR or ~/.carapace)')
    .option('--config <file>', 'config file (default: <state dir>/carapace.json)');
}

/** Add the flags that locate the state dir and config file (commands that need no gateway). */
export function stateOptions(cmd: Command): Command {
  return cmd
    .option('--state-dir <dir>', 'state directory (default: CARAPACE_STATE_DIR or ~/.carapace)')
    .option('--config <file>', 'config file (default: <state dir>/carapace.json)');
}
