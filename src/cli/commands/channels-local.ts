import { readFile } from 'node:fs/promises';
import type { StatePaths } from '../../config/index.js';
import { errnoCode } from '../../shared/index.js';

/** True when a process with `pid` exists (EPERM: it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * True when a live gateway holds the state dir's lock file (`gateway.lock`): then only that gateway may
 * change the channel files (it keeps them in memory). A lock left by a dead process does not count.
 */
export async function gatewayOwnsState(paths: StatePaths): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(paths.lockPath, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return false;
    // Unreadable lock: assume a gateway, so nothing writes behind its back.
    return true;
  }
  try {
    const lock = JSON.parse(text) as { pid?: unknown };
    return typeof lock.pid === 'number' && processAlive(lock.pid);
  } catch {
    // A lock being written right now: a gateway is starting.
    return true;
  }
}
