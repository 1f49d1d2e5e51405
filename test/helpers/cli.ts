import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI (test/global-setup.ts keeps it fresh). */
export const CLI_PATH = join(new URL('../..', import.meta.url).pathname, 'dist', 'cli', 'main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `carapace <args>` to completion with only the given environment (plus PATH and HOME). */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const res = spawnSync(process.execPath, [CLI_PATH, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    input,
    timeout: 30_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Start `carapace <args>` in the background (e.g. `gateway run`). */
export function spawnCli(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
