import { readFile } from 'node:fs/promises';
import { errnoCode } from './errors.js';

/** What the gateway lock file records about the gateway that holds it. */
export interface LockInfo {
  pid: number;
  port: number | null;
  host: string | null;
  startedAt: number;
  stateDir: string;
  /** When the holding process started (performance.timeOrigin): tells a live holder from a reused pid. */
  processStartedAt?: number;
}

/** The lock file as found: absent, unreadable (cannot be read, not JSON, no pid) or a record. */
export type LockState =
  | { kind: 'absent' }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'held'; lock: LockInfo };

/** True when a process with `pid` exists (EPERM means it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** Read the gateway lock file at `path` (records of older versions may lack fields, e.g. `stateDir`). */
export async function readLockFile(path: string): Promise<LockState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unreadable', reason: `cannot read it (${errnoCode(err) ?? String(err)})` };
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo> | null;
    if (typeof parsed?.pid !== 'number') return { kind: 'unreadable', reason: 'it names no pid' };
    return { kind: 'held', lock: parsed as LockInfo };
  } catch {
    return { kind: 'unreadable', reason: 'it is not JSON' };
  }
}
