import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file, e.g. 0o600 for secrets. */
  mode?: number;
  /** Keep the previous contents as `<file>.bak` before replacing. */
  backup?: boolean;
}

/**
 * Replace `path` with `data` so that a reader (or a crash) sees the old file or the new one, never a mix:
 * write a temp file beside it, fsync it, rename over the target, fsync the folder.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  if (options.backup) await backupFile(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const handle = await open(tmp, 'w', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Copy `path` to `<path>.bak` (same mode) if it exists. Returns the backup path or undefined. */
export async function backupFile(path: string): Promise<string | undefined> {
  const bak = `${path}.bak`;
  try {
    await copyFile(path, bak, constants.COPYFILE_FICLONE);
    return bak;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** fsync a directory so a rename or a new file in it survives power loss. Best effort where unsupported. */
export async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

/** Append `data` to `path`, and fsync when `durable` (an accepted message, a final reply). */
export async function appendFileDurable(path: string, data: string, durable: boolean): Promise<void> {
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.write(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
}
