import { readdir, readFile, readlink } from 'node:fs/promises';

/** Best effort (Linux /proc): which process listens on TCP `port`. Undefined when unknown. */
export async function findPortHolder(port: number): Promise<{ pid: number; command: string } | undefined> {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      const text = await readFile(table, 'utf8').catch(() => '');
      for (const line of text.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        const local = cols[1];
        if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
        const hexPort = local.split(':').pop();
        if (hexPort && Number.parseInt(hexPort, 16) === port && cols[9]) inodes.add(cols[9]);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m?.[1] && inodes.has(m[1])) {
          const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
          return { pid: Number(entry), command: cmd.split('\0').filter(Boolean).join(' ') };
        }
      }
    }
  } catch {
    // Not Linux or /proc unreadable: the caller reports the port without a holder.
  }
  return undefined;
}
