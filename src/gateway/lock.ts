import { open, rm, writeFile } from 'node:fs/promises';
import { CarapaceError, errnoCode, type LockInfo, processAlive, readLockFile } from '../shared/index.js';

/** A lock with our own pid is live only if it was taken by this very process (not a previous one). */
function holderAlive(holder: LockInfo): boolean {
  if (holder.pid === process.pid)
    return Math.abs((holder.processStartedAt ?? 0) - performance.timeOrigin) < 1;
  return processAlive(holder.pid);
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  const state = await readLockFile(path);
  return state.kind === 'held' ? state.lock : undefined;
}

/**
 * One gateway per state dir. `acquire()` creates the lock file exclusively; a lock left by a dead process
 * (or an unreadable one) is recovered; a live holder is reported with its pid, port and start time.
 */
export class GatewayLock {
  #held = false;

  constructor(
    readonly path: string,
    private readonly info: LockInfo,
  ) {
    this.info.processStartedAt = performance.timeOrigin;
  }

  async acquire(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(this.path, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify(this.info));
        } finally {
          await handle.close();
        }
        this.#held = true;
        return;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const holder = await readLock(this.path);
      if (holder && holderAlive(holder)) {
        const where = holder.port ? ` on ${holder.host ?? '127.0.0.1'}:${holder.port}` : '';
        throw new CarapaceError(
          'GATEWAY_LOCKED',
          `another gateway is already running for ${holder.stateDir}: pid ${holder.pid}${where}, started ${new Date(holder.startedAt).toISOString()}. ` +
            `Stop it (kill ${holder.pid}) or use another state dir (--state-dir or CARAPACE_STATE_DIR). Lock: ${this.path}`,
          { details: { holder, lockPath: this.path } },
        );
      }
      // Stale: the holder is gone (or the file is unreadable). Remove it and try again.
      await rm(this.path, { force: true });
    }
    throw new CarapaceError(
      'GATEWAY_LOCKED',
      `could not take the gateway lock ${this.path}; remove it by hand`,
    );
  }

  /** Record the address once the server listens. */
  async update(patch: Partial<LockInfo>): Promise<void> {
    if (!this.#held) return;
    Object.assign(this.info, patch);
    await writeFile(this.path, JSON.stringify(this.info), { mode: 0o600 });
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    const holder = await readLock(this.path);
    if (!holder || holder.pid === process.pid) await rm(this.path, { force: true });
  }
}
