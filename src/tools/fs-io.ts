import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readlink, realpath, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CarapaceError, shortId } from '../shared/index.js';
import { type FencedPath, hardlink, type WorkspaceFence, type WriteTarget } from './fence.js';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** The path an open descriptor really refers to (Linux: /proc; elsewhere: realpath checked by inode). */
async function descriptorPath(handle: FileHandle, opened: string, st: Stats): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    const real = await realpath(opened);
    const now = await stat(real);
    if (now.ino !== st.ino || now.dev !== st.dev) {
      throw new CarapaceError('PATH_CHANGED', 'the file changed while it was being opened; try again');
    }
    return real;
  }
}

/** An open file checked after opening: it is really inside the workspace, not a symlink, not hard-linked. */
export interface VerifiedFile {
  handle: FileHandle;
  stat: Stats;
}

/**
 * Open a fenced path for reading with O_NOFOLLOW and verify, before any byte is read, that the descriptor
 * refers to a regular file inside the workspace with a single link (closes it and throws otherwise).
 */
export async function openForRead(fence: WorkspaceFence, path: FencedPath): Promise<VerifiedFile> {
  let handle: FileHandle;
  try {
    handle = await open(path.real, constants.O_RDONLY | NOFOLLOW);
  } catch (err) {
    if ((err as { code?: string }).code === 'ELOOP') {
      throw new CarapaceError('PATH_SYMLINK', `'${path.display}' changed into a symbolic link; refused`);
    }
    throw err;
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) {
      throw new CarapaceError('PATH_IS_DIRECTORY', `'${path.display}' is a directory; use ls to list it`);
    }
    if (!st.isFile()) throw new CarapaceError('PATH_INVALID', `'${path.display}' is not a regular file`);
    const rr = await fence.realRoot();
    if (!fence.contains(rr, await descriptorPath(handle, path.real, st))) {
      throw new CarapaceError('PATH_OUTSIDE_WORKSPACE', `'${path.display}' resolves outside the workspace`);
    }
    if (st.nlink > 1) throw hardlink(path.display, st.nlink);
    return { handle, stat: st };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Read a whole fenced file as UTF-8, refusing files larger than `maxBytes`. */
export async function readTextFile(
  fence: WorkspaceFence,
  path: FencedPath,
  maxBytes: number,
): Promise<string> {
  const { handle, stat: st } = await openForRead(fence, path);
  try {
    if (st.size > maxBytes) {
      throw new CarapaceError(
        'FILE_TOO_LARGE',
        `'${path.display}' is ${st.size} bytes; the limit is ${maxBytes} (tools.fs.maxReadBytes)`,
      );
    }
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Replace a write target's content: a temp file is created with O_EXCL|O_NOFOLLOW in the checked real
 * parent, verified to be inside the workspace, written and synced, then renamed over the target (rename
 * replaces the name only, so it never writes through a link swapped in meanwhile).
 */
export async function writeTarget(fence: WorkspaceFence, target: WriteTarget, data: string): Promise<number> {
  const tmp = join(target.parent, `.${target.name.slice(0, 100)}.${shortId()}.tmp`);
  const mode = target.existingMode ?? 0o644;
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, mode);
  // Where the temp file really is: if a parent was swapped for a symlink it may be outside; clean up there.
  let created = tmp;
  let renamed = false;
  try {
    const st = await handle.stat();
    created = await descriptorPath(handle, tmp, st);
    const rr = await fence.realRoot();
    if (!fence.contains(rr, created) || dirname(created) !== target.parent) {
      throw new CarapaceError('PATH_OUTSIDE_WORKSPACE', `'${target.display}' resolves outside the workspace`);
    }
    const bytes = Buffer.from(data, 'utf8');
    await handle.writeFile(bytes);
    if (target.existingMode !== undefined) await handle.chmod(target.existingMode);
    await handle.sync();
    await handle.close();
    // Both names go through the same parent path: if it no longer leads to the checked directory, the
    // temp file is not there and the rename fails instead of replacing a file elsewhere.
    await rename(tmp, target.real);
    renamed = true;
    return bytes.length;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await unlink(created).catch(() => undefined);
    }
  }
}

/** True when the first bytes look binary (a NUL byte). */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}
