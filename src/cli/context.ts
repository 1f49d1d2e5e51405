import pc from 'picocolors';
import { type ClientEnv, readClientEnv, resolvePaths, type StatePaths } from '../config/index.js';
import { CarapaceError, errorMessage, isCarapaceError } from '../shared/index.js';
import { connectGateway, type GatewayClient } from './client/index.js';
import { type ConnectionFlags, resolveConnection } from './connection.js';

/** Where a command writes. Kept apart from `process` so commands have no hidden output. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Everything a command gets from the entry point. */
export interface CliContext {
  /** The carapace version (package.json). */
  version: string;
  io: CliIo;
  /** `CARAPACE_GATEWAY_*` / `OPENCLAW_GATEWAY_*`, read once by src/config. */
  env: ClientEnv;
}

/** Flags that choose the state dir and config file. */
export interface StateFlags {
  stateDir?: string | undefined;
  config?: string | undefined;
}

/** Code of errors caused by how the command was called; they exit with status 2. */
export const USAGE_ERROR = 'INVALID_ARGUMENT';

/** The default context: stdout/stderr of this process and the client environment. */
export function createContext(version: string): CliContext {
  return {
    version,
    io: { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
    env: readClientEnv(),
  };
}

/** A CarapaceError for a bad argument (exit status 2). */
export function usageError(message: string, details?: Record<string, unknown>): CarapaceError {
  return new CarapaceError(USAGE_ERROR, message, details ? { details } : {});
}

/** State paths for the `--state-dir` / `--config` flags (then `CARAPACE_STATE_DIR` …, then ~/.carapace). */
export function statePaths(flags: StateFlags): StatePaths {
  return resolvePaths({ stateDir: flags.stateDir, configPath: flags.config });
}

/** Connect to the gateway chosen by the flags, environment or local state; always closes the socket. */
export async function withGateway<T>(
  ctx: CliContext,
  flags: ConnectionFlags & StateFlags,
  use: (client: GatewayClient) => Promise<T>,
): Promise<T> {
  const paths = statePaths(flags);
  const settings = await resolveConnection(flags, ctx.env, paths);
  const client = await connectGateway({
    url: settings.url,
    token: settings.token,
    password: settings.password,
    clientVersion: ctx.version,
    tokenFile: paths.tokenPath,
  });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** Print an error the way every command does: one line, no stack; details for coded gateway errors. */
export function printError(ctx: CliContext, err: unknown, withDetails = false): void {
  ctx.io.err(`${pc.red('error:')} ${errorMessage(err)}\n`);
  if (withDetails && isCarapaceError(err) && err.details && Object.keys(err.details).length > 0) {
    ctx.io.err(`${pc.dim(`code: ${err.code}`)}\n${pc.dim(`details: ${JSON.stringify(err.details)}`)}\n`);
  }
}

/** Exit status for an error: 2 for usage errors, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  return isCarapaceError(err, USAGE_ERROR) ? 2 : 1;
}
