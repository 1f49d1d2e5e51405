import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { errnoCode, type LockInfo, processAlive } from '../shared/index.js';

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
  if (!processAlive(pid)) return { alive: false };
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
export function lockHolderLive(
  lock: Pick<LockInfo, 'processStartedAt'>,
  info: ProcessInfo,
  toleranceMs = 5000,
): boolean {
  if (!info.alive) return false;
  if (lock.processStartedAt === undefined || info.startedAt === undefined) return true;
  return Math.abs(lock.processStartedAt - info.startedAt) <= toleranceMs;
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
