import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * What identifies the file that will be executed: its real path and the stat facts that change when it
 * is replaced or rewritten. An approval holds one; a different fingerprint at exec time is not approved.
 */
export interface BinaryFingerprint {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** The same idea for a directory (the cwd of an approved command). */
export interface DirFingerprint {
  path: string;
  ino: number;
  dev: number;
}

/** Fingerprint of the executable regular file at `path` (symlinks resolved), or undefined. */
export async function fingerprintFile(path: string): Promise<BinaryFingerprint | undefined> {
  try {
    const real = await realpath(path);
    const st = await stat(real);
    if (!st.isFile()) return undefined;
    await access(real, constants.X_OK);
    return { path: real, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
  } catch {
    return undefined;
  }
}

/** Fingerprint of the directory at `path`, or undefined when it is not one. */
export async function fingerprintDir(path: string): Promise<DirFingerprint | undefined> {
  try {
    const real = await realpath(path);
    const st = await stat(real);
    if (!st.isDirectory()) return undefined;
    return { path: real, ino: st.ino, dev: st.dev };
  } catch {
    return undefined;
  }
}

/**
 * Resolve a program word the way `execvp` would, but only through the given (sanitized) PATH dirs: a word
 * with a `/` is a path relative to `cwd`; a bare name is looked up in `pathDirs` in order.
 */
export async function resolveProgram(
  word: string,
  cwd: string,
  pathDirs: readonly string[],
): Promise<BinaryFingerprint | undefined> {
  if (word === '') return undefined;
  if (word.includes('/')) return fingerprintFile(resolve(cwd, word));
  for (const dir of pathDirs) {
    const found = await fingerprintFile(join(dir, word));
    if (found) return found;
  }
  return undefined;
}

/** Same file, unchanged since the fingerprint was taken. */
export function sameBinary(a: BinaryFingerprint | undefined, b: BinaryFingerprint | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev
  );
}

/** Same directory (not replaced by another at the same path). */
export function sameDir(a: DirFingerprint | undefined, b: DirFingerprint | undefined): boolean {
  if (!a || !b) return a === b;
  return a.path === b.path && a.ino === b.ino && a.dev === b.dev;
}
