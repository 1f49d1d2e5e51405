import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnCli } from './cli.js';

/**
 * Start `carapace gateway run --port 0` on `stateDir` as a child process; resolve once its banner names
 * the URL, with the token it generated (or found) in the state dir.
 */
export async function startGatewayProcess(
  stateDir: string,
): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawnCli(['gateway', 'run', '--state-dir', stateDir, '--port', '0']);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d) => {
    err += d.toString();
  });
  const end = Date.now() + 15_000;
  while (!/ws:\/\/127\.0\.0\.1:\d+/.test(out)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`gateway did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const token = (await readFile(join(stateDir, 'credentials', 'gateway-token'), 'utf8')).trim();
  return { child, url: /ws:\/\/127\.0\.0\.1:\d+/.exec(out)![0], token };
}
