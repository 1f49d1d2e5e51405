import { chmod, mkdir } from 'node:fs/promises';
import type { StatePaths } from '../config/index.js';
import { GatewayLock } from './lock.js';

/**
 * Create the state dir (0700, tightened when it already exists) and take its lock for this process:
 * one gateway per state dir. The lock records where the gateway listens once it does (`update()`).
 */
export async function lockStateDir(paths: StatePaths, startedAt: number): Promise<GatewayLock> {
  await mkdir(paths.stateDir, { recursive: true, mode: 0o700 });
  await chmod(paths.stateDir, 0o700).catch(() => undefined);
  const lock = new GatewayLock(paths.lockPath, {
    pid: process.pid,
    port: null,
    host: null,
    startedAt,
    stateDir: paths.stateDir,
  });
  await lock.acquire();
  return lock;
}
