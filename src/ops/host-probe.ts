import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { errnoCode } from '../shared/index.js';

/** What the gateway records in `gateway.lock` (the fields doctor reads). */
export interface LockRecord {
  pid: number;
  port: number | null;
  host: string | null;
  startedAt: number;
  stateDir?: string;
  /** When the holding process started (ms since the epoch), to tell it from a reused pid. */
  processStartedAt?: number;
}

/** The lock file: absent, unreadable (not JSON, no pid) or a record. */
export type LockState =
  | { kind: 'absent' }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'held'; lock: LockRecord };

/** Read the gateway lock file at `path`. */
export async function readLockFile(path: string): Promise<LockState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unreadable', reason: `cannot read it (${errnoCode(err) ?? String(err)})` };
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    if (typeof parsed?.pid !== 'number') return { kind: 'unreadable', reason: 'it names no pid' };
    return { kind: 'held', lock: parsed as LockRecord };
  } catch {
    return { kind: 'unreadable', reason: 'it is not JSON' };
  }
}

/** A process as the host sees it. `startedAt` (ms since the epoch) is known on Linux only. */
export interface ProcessInfo {
  alive: boolean;
  startedAt?: number;
  command?: string;
}

/** The port doctor uses to ask about a process (Linux /proc by default). */
export type ProcessProbe = (pid: number) => Promise<ProcessInfo>;

/** Is `pid` alive (EPERM: alive, someone else's), when did it start and what is it (from /proc)? */
export const probeProcess: ProcessProbe = async (pid) => {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoCode(err) !== 'EPERM') return { alive: false };
  }
  const info: ProcessInfo = { alive: true };
  const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (cmd) info.command = cmd.split('\0').filter(Boolean).join(' ');
  const startedAt = await procStartTime(pid);
  if (startedAt !== undefined) info.startedAt = startedAt;
  return info;
};

/** Start time of `pid` from /proc/<pid>/stat (field 22, clock ticks after boot; USER_HZ is 100 on Linux). */
async function procStartTime(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1];
    if (!Number.isFinite(ticks) || !btime) return undefined;
    return Number(btime) * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}

/**
 * Whether the gateway recorded in a lock still runs: its pid is alive and, when both start times are
 * known, the process started when the lock says (more than `toleranceMs` apart: the pid was reused).
 */
export function lockHolderLive(lock: LockRecord, info: ProcessInfo, toleranceMs = 5000): boolean {
  if (!info.alive) return false;
  if (lock.processStartedAt === undefined || info.startedAt === undefined) return true;
  return Math.abs(lock.processStartedAt - info.startedAt) <= toleranceMs;
}

/** The address a `gateway.bind` value listens on (as the gateway maps it). */
export function bindAddress(bind: string): string {
  if (bind === 'loopback' || bind === 'localhost') return '127.0.0.1';
  if (bind === 'lan' || bind === 'all') return '0.0.0.0';
  return bind;
}

/** True for addresses that never leave this host. */
export function isLoopback(address: string): boolean {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.') || a === 'localhost';
}

/** Could a server listen on host:port now? `in-use`, or another errno (EADDRNOTAVAIL, EACCES …). */
export type PortState = { free: true } | { free: false; code: string };

/** The port doctor uses to test a listen address. */
export type PortProbe = (host: string, port: number) => Promise<PortState>;

/** Try to listen on host:port (exclusively) and close again at once. */
export const probePort: PortProbe = (host, port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err) => resolve({ free: false, code: errnoCode(err) ?? String(err) }));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve({ free: true }));
    });
  });
