import { stat } from 'node:fs/promises';
import pc from 'picocolors';
import {
  followLog,
  formatLogLine,
  gatewayLogFile,
  type LevelPainter,
  tailGatewayLog,
} from '../../ops/index.js';
import { type CliContext, type StateFlags, statePaths } from '../context.js';

/** Flags of `carapace logs`. */
export interface LogsFlags extends StateFlags {
  follow?: boolean;
  json?: boolean;
  lines?: number;
}

const paint: LevelPainter = (level, text) =>
  level >= 50 ? pc.red(text) : level >= 40 ? pc.yellow(text) : level >= 30 ? pc.green(text) : pc.dim(text);

/**
 * `carapace logs [--follow] [--json] [--lines N]`: the last lines of the gateway's log file, pretty or raw;
 * with --follow, then every new line until Ctrl-C.
 */
export async function logs(ctx: CliContext, flags: LogsFlags): Promise<number> {
  const paths = statePaths(flags);
  const file = gatewayLogFile(paths.logsDir);
  const print = (line: string) => ctx.io.out(`${flags.json ? line : formatLogLine(line, paint)}\n`);
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  const lines = await tailGatewayLog(paths.logsDir, flags.lines ?? 50);
  if (size === undefined && lines.length === 0 && !flags.follow) {
    ctx.io.err(
      `${pc.red('error:')} no log file yet at ${file} (the gateway writes it once it has started)\n`,
    );
    return 1;
  }
  for (const line of lines) print(line);
  if (!flags.follow) return 0;
  if (size === undefined) ctx.io.err(pc.dim(`waiting for ${file} …\n`));
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await followLog(file, { from: size ?? 0, signal: ac.signal, onLine: print });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
